-- Connections alternate POST /channels (a fresh name and port) and DELETE of a channel whose
-- 201 has come back (its Location header), so no DELETE can overtake its POST. Every answer
-- must be 201 or 204; anything else is counted and fails the run.
local tid = 0

setup = function(thread)
  thread:set("id", tid)
  tid = tid + 1
end

local created = {}
local n = 0

request = function()
  if #created > 0 then
    return wrk.format("DELETE", table.remove(created, 1))
  end
  n = n + 1
  -- each thread its own 20000 ports: live channels never collide
  local body = string.format('{"name": "pd-%d-%d", "port": %d}', id, n,
    2000 + id * 20000 + n % 20000)
  return wrk.format("POST", "/channels", {["Content-Type"] = "application/json"}, body)
end

response = function(status, headers, body)
  if status == 201 then table.insert(created, headers["Location"]) end
end

done = function(summary, latency, requests)
  io.write(string.format("requests: %d (POST 201 and DELETE 204), non-2xx: %d\n",
    summary.requests, summary.errors.status))
  if summary.errors.status > 0 then os.exit(1) end
end
