-- wrk script: POST /orders with an email no other request of any run uses, spread over the 5 categories.
-- Usage: wrk -s orders.lua URL -- RUN_ID
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

function init(args)
  run = args[1] or tostring(os.time())
  counter = 0
end

function request()
  counter = counter + 1
  local body = string.format('{"email":"bench-%s-%d-%d@example.com","category_id":%d}', run, tid, counter, counter % 5 + 1)
  return wrk.format("POST", "/orders", { ["Content-Type"] = "application/json" }, body)
end
