package datavalue

import "strconv"

// JSON-RPC 2.0 error codes (JSON-RPC 2.0 §5.1). A vAPI endpoint uses the
// JSON-RPC error member only when the body cannot be read as a request at
// all (spec §13.3); every vAPI error, authentication failures included, is
// a result (AppendErrorResponse).
const (
	CodeParseError     = -32700 // the body is not JSON
	CodeInvalidRequest = -32600 // JSON, but not a vAPI JSON-RPC request
	CodeMethodNotFound = -32601
	CodeInvalidParams  = -32602
	CodeInternalError  = -32603
)

// AppendResponse appends a successful JSON-RPC 2.0 response,
// {"id":<id>,"jsonrpc":"2.0","result":{"output":<output>}}, to dst. id is
// the request's id as sent (raw JSON: a string, a number or null); an empty
// id is written null. A nil output is written null (void).
func AppendResponse(dst, id []byte, output Value) []byte {
	dst = appendHead(dst, id)
	dst = append(dst, `"result":{"output":`...)
	dst = appendValue(dst, output)
	return append(dst, "}}"...)
}

// AppendErrorResponse appends a JSON-RPC 2.0 response whose result is the
// vAPI error err (usually a StdError),
// {"id":<id>,"jsonrpc":"2.0","result":{"error":<err>}}, to dst: how a vAPI
// endpoint answers a failed operation, authentication failures included
// (HTTP 200, spec §13.3). id is as for AppendResponse.
func AppendErrorResponse(dst, id []byte, err Value) []byte {
	dst = appendHead(dst, id)
	dst = append(dst, `"result":{"error":`...)
	dst = appendValue(dst, err)
	return append(dst, "}}"...)
}

// AppendRPCError appends a JSON-RPC 2.0 error response,
// {"error":{"code":<code>,"message":<message>},"id":<id>,"jsonrpc":"2.0"},
// to dst: only for a body that is not JSON (CodeParseError, id null) or not
// a vAPI JSON-RPC request (CodeInvalidRequest). id is as for
// AppendResponse.
func AppendRPCError(dst, id []byte, code int, message string) []byte {
	dst = append(dst, `{"error":{"code":`...)
	dst = strconv.AppendInt(dst, int64(code), 10)
	dst = append(dst, `,"message":`...)
	dst = AppendString(dst, message)
	dst = append(dst, `},"id":`...)
	dst = appendID(dst, id)
	return append(dst, `,"jsonrpc":"2.0"}`...)
}

func appendHead(dst, id []byte) []byte {
	dst = append(dst, `{"id":`...)
	dst = appendID(dst, id)
	return append(dst, `,"jsonrpc":"2.0",`...)
}

func appendID(dst, id []byte) []byte {
	if len(id) == 0 {
		return append(dst, "null"...)
	}
	return append(dst, id...)
}
