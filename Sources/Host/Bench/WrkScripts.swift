import Foundation

/// The Lua scripts wrk runs, written next to the bench's data for each run (so the binary needs no
/// files from the source tree). Everything that costs CPU — signing, JSON, JWTs — is done before the
/// run; the scripts only pick pre-formatted requests or splice a counter into a template.
enum WrkScripts {
    /// Replays a prepared request file (`SignedWebhookFile`: one `<signature header>\t<body>` per line),
    /// each line by exactly one wrk thread, each request once: thread k of n takes lines k, k+n, k+2n, …
    /// Arguments: the file, the thread count. A thread that runs out starts over (the bench prepares more
    /// lines than a run can send and reports how many were sent against how many were stored).
    static let replayWebhooks = #"""
    -- wrk: POST prepared, signed Calendly webhook deliveries, each once.
    local threadCount = 0
    function setup(thread)
      threadCount = threadCount + 1
      thread:set("threadIndex", threadCount)
    end

    local requests = {}
    local nextRequest = 1

    function init(args)
      local path, threads = args[1], tonumber(args[2])
      local line = 0
      for text in io.lines(path) do
        if line % threads == threadIndex - 1 then
          local tab = text:find("\t", 1, true)
          local headers = { ["Content-Type"] = "application/json", ["Calendly-Webhook-Signature"] = text:sub(1, tab - 1) }
          requests[#requests + 1] = wrk.format("POST", wrk.path, headers, text:sub(tab + 1))
        end
        line = line + 1
      end
    end

    function request()
      local prepared = requests[nextRequest]
      nextRequest = nextRequest + 1
      if nextRequest > #requests then nextRequest = 1 end
      return prepared
    end
    """#

    /// `POST /v1/conversations/<unique>/booking/offer` in demo mode: every request a new conversation
    /// (prefix, wrk thread, counter), with a platform token minted before the run.
    /// Arguments: the conversation id prefix, the agent id, the bearer token.
    static let offers = #"""
    -- wrk: one offer per new conversation.
    local threadCount = 0
    function setup(thread)
      threadCount = threadCount + 1
      thread:set("threadIndex", threadCount)
    end

    local counter = 0
    local prefix, agent, headers

    function init(args)
      prefix = args[1] .. "-" .. threadIndex .. "-"
      agent = args[2]
      headers = { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. args[3] }
    end

    function request()
      counter = counter + 1
      local conversation = prefix .. counter
      local body = '{"agentId":"' .. agent .. '","channel":"text","timeZone":"Asia/Jakarta","contact":{"contact.email":"'
        .. conversation .. '@example.com","contact.name":"Casey","contact.company":"Acme"}}'
      return wrk.format("POST", "/v1/conversations/" .. conversation .. "/booking/offer", headers, body)
    end
    """#

    /// Writes `text` as `name` in `directory` and returns its path.
    static func write(_ text: String, named name: String, in directory: String) throws -> String {
        let path = directory + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}
