import Core
import Effects
import Testing

/// `CalendlyErrorClassifier`: every status class and the body wordings it has to recognise.
@Suite struct ClassifierTests {
    func classify(_ status: Int, _ body: String = "", retryAfter: Int? = nil) -> CalendlyFailure {
        CalendlyErrorClassifier.classify(status: status, body: Array(body.utf8), retryAfterSeconds: retryAfter)
    }

    @Test func unauthorized() {
        #expect(classify(401, #"{"title":"Unauthenticated","message":"The access token is expired"}"#) == .unauthorized)
        #expect(classify(401) == .unauthorized)
    }

    @Test func insufficientScopeCarriesRequiredScopes() {
        let body = #"{"title":"Insufficient scope","message":"This operation requires the scopes listed in the 'required_scopes' array.","required_scopes":["scheduled_events:write"]}"#
        #expect(classify(403, body) == .forbidden(requiredScopes: ["scheduled_events:write"]))
        #expect(classify(403, #"{"title":"Permission Denied","message":"You do not have permission"}"#) == .forbidden(requiredScopes: []))
        #expect(classify(403, "<html>forbidden</html>") == .forbidden(requiredScopes: []))
    }

    @Test func notFound() {
        #expect(classify(404, #"{"title":"Resource Not Found","message":"The server could not find the requested resource."}"#) == .notFound)
    }

    @Test func slotNoLongerAvailableIn400Details() {
        let body = #"{"title":"Invalid Argument","message":"The supplied parameters are invalid.","details":[{"parameter":"start_time","message":"The selected time is no longer available. Please choose another time."}]}"#
        #expect(classify(400, body) == .slotUnavailable)
    }

    @Test func slotWordingsInTitleOrMessageAnd409() {
        #expect(classify(400, #"{"title":"Invalid Argument","message":"This time slot is already booked"}"#) == .slotUnavailable)
        #expect(classify(409, #"{"title":"Conflict","message":"The requested start time is unavailable"}"#) == .slotUnavailable)
        #expect(classify(400, #"{"title":"Invalid Argument","message":"x","details":[{"parameter":"start_time","message":"is not available"}]}"#) == .slotUnavailable)
    }

    @Test func other400IsRejectedWithTheMessage() {
        let body = #"{"title":"Invalid Argument","message":"The supplied parameters are invalid.","details":[{"parameter":"invitee.email","message":"is invalid"}]}"#
        #expect(classify(400, body) == .rejected(message: "The supplied parameters are invalid. — invitee.email: is invalid"))
        // "must be in the future" is about start_time but does not say the slot is gone.
        #expect(classify(400, #"{"title":"Invalid Argument","message":"bad","details":[{"parameter":"start_time","message":"must be in the future"}]}"#)
            == .rejected(message: "bad — start_time: must be in the future"))
        #expect(classify(400, "") == .rejected(message: "HTTP 400"))
        // Not about the slot: an inactive event type.
        #expect(classify(400, #"{"title":"Invalid Argument","message":"This event type is not active"}"#)
            == .rejected(message: "This event type is not active"))
    }

    @Test func conflictThatIsNotASlotIsAlreadyExists() {
        #expect(classify(409, #"{"title":"Already Exists","message":"Hook with this url already exists"}"#) == .alreadyExists)
        // A 400 about something else is still just rejected.
        #expect(classify(400, #"{"title":"Invalid Argument","message":"url is invalid"}"#) == .rejected(message: "url is invalid"))
    }

    @Test func rateLimitedCarriesTheWait() {
        #expect(classify(429, "", retryAfter: 30) == .rateLimited(retryAfter: .seconds(30)))
        #expect(classify(429, #"{"title":"Too Many Requests"}"#) == .rateLimited(retryAfter: nil))
        #expect(CalendlyErrorClassifier.retryAfterSeconds(retryAfter: " 7 ", rateLimitReset: "60") == 7)
        #expect(CalendlyErrorClassifier.retryAfterSeconds(retryAfter: "Wed, 21 Oct 2015 07:28:00 GMT", rateLimitReset: "60") == 60)
        #expect(CalendlyErrorClassifier.retryAfterSeconds(retryAfter: nil, rateLimitReset: nil) == nil)
    }

    @Test func serverErrors() {
        #expect(classify(500, #"{"title":"Internal Server Error","message":"…"}"#) == .serverError(status: 500))
        #expect(classify(502, "<html>bad gateway</html>") == .serverError(status: 502))
        #expect(classify(503) == .serverError(status: 503))
    }

    @Test func oauthErrors() {
        #expect(classify(400, #"{"error":"invalid_grant","error_description":"The provided authorization grant is invalid"}"#) == .invalidGrant)
        #expect(classify(401, #"{"error":"invalid_grant"}"#) == .invalidGrant)
        #expect(classify(400, #"{"error":"access_denied"}"#) == .accessDenied)
        #expect(classify(401, #"{"error":"invalid_client","error_description":"Client authentication failed."}"#) == .unauthorized)
        #expect(classify(400, #"{"error":"unsupported_grant_type","error_description":"nope"}"#) == .rejected(message: "unsupported_grant_type: nope"))
    }

    @Test func unparseableSuccessIsMalformed() {
        #expect(classify(200, "{not json") == .malformedResponse)
        #expect(classify(201, "") == .malformedResponse)
        #expect(classify(302, "") == .malformedResponse)
    }

    @Test func longMessagesAreCapped() {
        let long = String(repeating: "a", count: 1000)
        guard case .rejected(let message) = classify(400, #"{"message":"\#(long)"}"#) else { Issue.record("not rejected"); return }
        #expect(message.count <= 301)
    }
}
