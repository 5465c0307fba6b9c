-- Counts answers that are not 2xx; the run fails if there is any.
local bad = 0
response = function(status, headers, body)
  if status < 200 or status > 299 then bad = bad + 1 end
end
done = function(summary, latency, requests)
  io.write(string.format("non-2xx: %d (and wrk's own errors: %d)\n", summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
  if summary.errors.status > 0 then os.exit(1) end
end
