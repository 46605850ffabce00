-- wrk script: send requests with distinct recipients to hongyan (HI8D) or Kannel (sendsms).
--
--   wrk -t T -c C -d D -s send.lua http://host:port -- MODE PER ACCOUNT PASSWD THREADS PACE EXTRA
--
-- MODE: hi8d-get | hi8d-post | kannel.  PER: recipients per request (hi8d-post).
-- PACE: milliseconds each connection waits between requests (0 = as fast as answered).
-- EXTRA: kannel: the receiver's base URL for dlr-url.
-- Numbers are 86 + 13x + 8 digits; x is the thread, so threads never repeat a number.
-- Prints one line "WRK_RESULT {json}" with counts and latency percentiles (microseconds).

local threads = {}
local counter = 0

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

local function urlencode(s)
  return (s:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

function init(args)
  mode = args[1]
  per = tonumber(args[2])
  account = args[3]
  passwd = args[4]
  nthreads = tonumber(args[5])
  pace = tonumber(args[6])
  extra = args[7]
  text = urlencode("hongyan benchmark message")
  ok = 0
  refused = 0
  accepted_numbers = 0
  sample = ""
end

local function number()
  local n = counter
  counter = counter + 1
  return string.format("8613%d%08d", tid, n), n * nthreads + tid + 1
end

function request()
  if mode == "kannel" then
    local to, n = number()
    local dlr = urlencode(extra .. "/kannel?n=" .. n .. "&d=%d")
    return wrk.format("GET", "/cgi-bin/sendsms?username=" .. account .. "&password=" .. passwd
      .. "&to=" .. to .. "&from=10690001&text=" .. text .. "&dlr-mask=3&dlr-url=" .. dlr)
  end
  local numbers = {}
  for i = 1, per do
    local to = number()
    numbers[i] = to
  end
  local q = "account=" .. account .. "&passwd=" .. passwd .. "&mb=" .. table.concat(numbers, ",")
    .. "&content=" .. text
  if mode == "hi8d-post" then
    return wrk.format("POST", "/servlet/gateway.php",
      {["Content-Type"] = "application/x-www-form-urlencoded"}, q)
  end
  return wrk.format("GET", "/servlet/gateway.php?" .. q)
end

function delay()
  return pace
end

function response(status, headers, body)
  if mode == "kannel" then
    if status == 202 or status == 200 then
      ok = ok + 1
      accepted_numbers = accepted_numbers + 1
    else
      refused = refused + 1
      sample = body
    end
  elseif string.find(body, '"status":1', 1, true) then
    ok = ok + 1
    local mb = string.match(body, '"mb":"([^"]*)"')
    if mb then
      local _, commas = string.gsub(mb, ",", "")
      accepted_numbers = accepted_numbers + commas + 1
    end
  else
    refused = refused + 1
    sample = body
  end
end

function done(summary, latency, requests)
  local t_ok, t_refused, t_numbers, t_sample = 0, 0, 0, ""
  for _, thread in ipairs(threads) do
    t_ok = t_ok + thread:get("ok")
    t_refused = t_refused + thread:get("refused")
    t_numbers = t_numbers + thread:get("accepted_numbers")
    local s = thread:get("sample")
    if s and s ~= "" then t_sample = s end
  end
  local e = summary.errors
  io.write(string.format(
    'WRK_RESULT {"requests":%d,"duration_us":%d,"ok":%d,"refused":%d,"accepted":%d,'
    .. '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},'
    .. '"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%d,"sample":"%s"}\n',
    summary.requests, summary.duration, t_ok, t_refused, t_numbers,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    latency.mean, string.gsub(string.sub(t_sample, 1, 120), '["\\]', "'")))
end
