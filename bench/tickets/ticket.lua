-- wrk script for bench/tickets.sh: GET /tickets/{code} over the codes file, each thread from its own offset.
-- Argument: CODES_FILE
local count = 0

function setup(thread)
  count = count + 1
  thread:set("offset", count * 7919)
end

function init(args)
  codes = {}
  for line in io.lines(args[1]) do codes[#codes + 1] = line end
  position = offset
  statuses = {}
end

function request()
  position = position + 1
  return wrk.format("GET", "/tickets/" .. codes[(position % #codes) + 1])
end
