-- wrk script for bench/tickets.sh: each wrk thread is one gate with its own token (CheckIn:Gates:gateNN); it scans
-- its share of the codes file once each (POST /checkin), then keeps rescanning its first code (409s).
-- Arguments: CODES_FILE TOKEN_PREFIX GATES
local threads = {}
local count = 0

function setup(thread)
  count = count + 1
  thread:set("gate", count)
  table.insert(threads, thread)
end

function init(args)
  local gates = tonumber(args[3])
  codes = {}
  local i = 0
  for line in io.lines(args[1]) do
    if i % gates == gate - 1 then codes[#codes + 1] = line end
    i = i + 1
  end
  headers = { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. args[2] .. string.format("%02d", gate) }
  position = 0
  admitted = 0
  refused = 0
end

function request()
  position = position + 1
  local code = codes[position] or codes[1]
  return wrk.format("POST", "/checkin", headers, '{"code":"' .. code .. '"}')
end

function response(status)
  if status == 200 then admitted = admitted + 1 else refused = refused + 1 end
end

function done(summary, latency, requests)
  local a, r = 0, 0
  for _, t in ipairs(threads) do
    a = a + t:get("admitted")
    r = r + t:get("refused")
  end
  io.write(string.format("admitted %d\nrefused %d\nseconds %.2f\np95_ms %.2f\n", a, r, summary.duration / 1e6,
    latency:percentile(95) / 1000))
end
