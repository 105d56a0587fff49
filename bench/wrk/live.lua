-- Annotators for bench/live.py (put after replay.lua, whose request lists and init it uses).
-- Each list line is a claim, "POST<TAB>/articles/<pk>/claims/<TAB>fields<TAB>column<TAB>relation",
-- sent with htmx's headers (answered with the redrawn reader; the new claim's id is in the
-- HX-Push-Url or HX-Trigger-After-Settle header, or a JSON body's "claim"); when the
-- writer's previous claim lies in another column, the next request links the two (POST /links/,
-- answered with the re-rendered reader, as in the browser). Extra arguments after replay.lua's:
-- the pause before each new claim in ms (a person reading), and "links" or "no-links".
local replay_init = init
local think, with_links = 0, true
local pending, previous, previous_column, column, relation, sent_claim = nil, nil, nil, nil, nil, false
local claim_headers = {}

init = function(args)
  replay_init(args)
  think = tonumber(args[4]) or 0
  with_links = args[5] ~= "no-links"
  for name, value in pairs(headers) do claim_headers[name] = value end
  claim_headers["X-Parallax-Popup"] = "1"
  claim_headers["X-Parallax-Mark"] = "1"
end

request = function()
  if pending then
    local body = pending
    pending, sent_claim = nil, false
    return wrk.format("POST", "/links/", headers, body)
  end
  local item = next_request()
  column, relation, sent_claim = item[4], item[5], true
  return wrk.format(item[1], item[2], with_links and claim_headers or headers, item[3])
end

local function claim_id(response_headers, body)
  for _, value in pairs(response_headers) do
    local id = string.match(value, "[?&]claim=(%d+)") or string.match(value, '"claim"%s*:%s*"?(%d+)')
    if id then return id end
  end
  return string.match(body or "", '^%s*{.-"claim"%s*:%s*"?(%d+)')
end

response = function(status, response_headers, body)
  if not (sent_claim and with_links and (status == 200 or status == 201)) then return end
  local id = claim_id(response_headers, body)
  if not id then return end
  if previous and previous_column ~= column then
    pending = "claim=" .. id .. "&other=" .. previous .. "&relation=" .. relation
  end
  previous, previous_column = id, column
end

delay = function()
  if pending then return 0 end
  return think
end
