-- Each wrk thread (one connection each: -t N -c N) sends its own list of requests, in order,
-- read from a file that bench/wrk.py wrote: "<dir>/<thread>.tsv", whose first line holds the
-- thread's headers ("Name: value", tab-separated: its session cookie, CSRF token...) and each
-- further line one request, "METHOD<TAB>path<TAB>url-encoded body". After the last request the
-- list starts again. Arguments: the folder, and the first and last request (1-based) of the
-- part of each list this run sends (the warm-up and the measured run use different parts, so a
-- request, e.g. a new claim on a span, is never sent twice). Used for writes, where every client
-- is its own logged-in user.
local counter = 0

setup = function(thread)
  thread:set("id", counter)
  counter = counter + 1
end

local function split(line, sep)
  local fields, from = {}, 1
  while true do
    local at = string.find(line, sep, from, true)
    if not at then
      fields[#fields + 1] = string.sub(line, from)
      return fields
    end
    fields[#fields + 1] = string.sub(line, from, at - 1)
    from = at + #sep
  end
end

headers, queue, first, last, position = {}, {}, 1, 0, 0

init = function(args)
  local file = assert(io.open(args[1] .. "/" .. id .. ".tsv", "r"))
  local header_line = true
  for line in file:lines() do
    if header_line then
      for _, header in ipairs(split(line, "\t")) do
        local name, value = string.match(header, "^([^:]+): (.*)$")
        if name then headers[name] = value end
      end
      header_line = false
    elseif #line > 0 then
      local fields = split(line, "\t")
      queue[#queue + 1] = fields
    end
  end
  file:close()
  first = tonumber(args[2]) or 1
  last = tonumber(args[3]) or #queue
  position = first - 1
end

next_request = function()
  position = position + 1
  if position > last then position = first end
  return queue[position]
end

request = function()
  local item = next_request()
  local method, path, body = item[1], item[2], item[3]
  if body == "" then body = nil end
  return wrk.format(method, path, headers, body)
end
