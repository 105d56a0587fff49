-- Annotators for bench/live.py (put after replay.lua, whose request lists and init it uses).
-- Each list line is a claim, "POST<TAB>/articles/<pk>/claims/<TAB>fields<TAB>column<TAB>relation",
-- sent as the reader's Highlight button sends it (htmx aimed at the claim's column,
-- "HX-Target: article-<pk>"; answered with that column's text redrawn and the new claim's id in
-- the HX-Trigger-After-Settle header); when the
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
end

request = function()
  if pending then
    local body = pending
    pending, sent_claim = nil, false
    return wrk.format("POST", "/links/", headers, body)
  end
  local item = next_request()
  column, relation, sent_claim = item[4], item[5], true
  local article = string.match(item[2], "^/articles/(%d+)/claims/$")
  if not article then return wrk.format(item[1], item[2], headers, item[3]) end
  claim_headers["HX-Target"] = "article-" .. article
  return wrk.format(item[1], item[2], claim_headers, item[3])
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
