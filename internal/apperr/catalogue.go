package apperr

// The catalogue of errors shared across packages. Codes follow Clerk's so
// clients written for Clerk can switch on them unchanged.

// NotFound is the 404 for any resource id that does not exist.
func NotFound() *Error {
	return New(KindNotFound, "resource_not_found", "not found", "Resource not found")
}

// Unauthenticated is the 401 for a missing or wrong secret key.
func Unauthenticated(long string) *Error {
	return New(KindUnauthenticated, "authentication_invalid", "Invalid authentication", long)
}

// MalformedBody is the 400 for a body that is not the JSON object expected.
func MalformedBody(long string) *Error {
	return New(KindBadRequest, "malformed_request_body", "Request body is malformed", long)
}

// BodyTooLarge is the 413 for a body over the configured limit.
func BodyTooLarge(limit int64) *Error {
	return New(KindTooLarge, "request_body_too_large", "Request body too large",
		"The request body exceeds the limit.").WithMeta("limit_bytes", limit)
}

// UnknownParam is the 422 for a body field the endpoint does not accept.
func UnknownParam(name string) *Error {
	return New(KindInvalid, "form_param_unknown", "is unknown",
		name+" is not a recognized parameter for this request.").WithParam(name)
}

// ParamMissing is the 422 for a required field that was not sent.
func ParamMissing(name string) *Error {
	return New(KindInvalid, "form_param_missing", "is missing", name+" must be included.").WithParam(name)
}

// ParamInvalid is the 422 for a field whose value has the wrong format.
func ParamInvalid(name, long string) *Error {
	if long == "" {
		long = name + " is invalid."
	}
	return New(KindInvalid, "form_param_format_invalid", "is invalid", long).WithParam(name)
}

// ParamValueInvalid is the 422 for a value outside what the field allows.
func ParamValueInvalid(name, long string) *Error {
	return New(KindInvalid, "form_param_value_invalid", "is invalid", long).WithParam(name)
}

// IdentifierExists is the 422 when an email, phone, username or external id is taken.
func IdentifierExists(param, what string) *Error {
	return New(KindInvalid, "form_identifier_exists", "That "+what+" is taken. Please try another.",
		"That "+what+" is taken. Please try another.").WithParam(param)
}
