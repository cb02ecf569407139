package middleware

import (
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/vapisec/vapisec/verifier"
)

// DefaultMaxBodySize bounds the request body of the login endpoints and of
// JSONRPCSessionService when no RequestVerifier sets the limit (1 MiB, the
// verifier's default).
const DefaultMaxBodySize = verifier.DefaultMaxBodySize

// maxResourceBody bounds the body of the session resources other than
// login (get and delete session, clone ticket, channel credential, admin
// routes): none of them needs more than a short JSON object.
const maxResourceBody = 4 << 10

// readLimited reads the whole body of req, at most max bytes: a declared
// Content-Length over max is refused without reading, a body that turns out
// longer (chunked) after max+1 bytes. tooLarge reports either case.
func readLimited(req *http.Request, max int) (body []byte, tooLarge bool, err error) {
	if req.Body == nil || req.Body == http.NoBody {
		return nil, false, nil
	}
	if req.ContentLength > int64(max) {
		return nil, true, nil
	}
	if req.ContentLength > 0 {
		body, err = readDeclared(req.Body, int(req.ContentLength), max)
	} else {
		body, err = io.ReadAll(io.LimitReader(req.Body, int64(max)+1))
	}
	if err != nil {
		return nil, false, err
	}
	if len(body) > max {
		return nil, true, nil
	}
	return body, false, nil
}

// readDeclared reads a body that declared n bytes (0 < n ≤ max) into one
// allocation of exactly n bytes, where io.ReadAll would grow its buffer
// from 512 bytes (for a signed JSON-RPC body of 7 KiB, about 16 KiB
// allocated and copied per request). A body shorter than declared is
// io.ErrUnexpectedEOF; one that goes on past n is read on (up to max+1
// bytes, for the caller's limit check), so a transport that delivers more
// than it declared is caught as before.
func readDeclared(r io.Reader, n, max int) ([]byte, error) {
	// One byte more than declared: where the probe for more data lands
	// (a separate probe array would escape to the heap through r.Read).
	body := make([]byte, n, n+1)
	if _, err := io.ReadFull(r, body); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	probe := body[n : n+1]
	for range 100 {
		k, err := r.Read(probe)
		if k > 0 {
			body = body[:n+1]
			rest, err := io.ReadAll(io.LimitReader(r, int64(max-len(body))+1))
			return append(body, rest...), err
		}
		if errors.Is(err, io.EOF) {
			return body, nil
		}
		if err != nil {
			return nil, err
		}
	}
	return nil, io.ErrNoProgress
}

// bodyLimit returns a middleware that reads the body (at most max bytes)
// before anything else runs and hands the rest of the chain exactly those
// bytes: a longer body is answered with 413, whether or not the handler
// would have read it, so no route depends on Echo's BodyLimit.
func bodyLimit(max int, ec ErrorsConfig) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			body, tooLarge, err := readLimited(req, max)
			if tooLarge {
				return ec.tooLarge(c, max, verifier.ErrBodyTooLarge)
			}
			if err != nil {
				return ec.malformed(c, "the request body could not be read", err)
			}
			if body != nil {
				restoreBody(req, body)
			}
			return next(c)
		}
	}
}

// tooLarge: 413 INVALID_ARGUMENT, the body is over max bytes.
func (ec ErrorsConfig) tooLarge(c echo.Context, max int, cause error) error {
	n := strconv.Itoa(max)
	return ec.respond(c, failure{
		status: http.StatusRequestEntityTooLarge, kind: errInvalidArgument,
		msg:   Message{ID: msgTooLarge, DefaultMessage: "The request body is larger than the limit of " + n + " bytes.", Args: []string{n}},
		cause: cause,
	})
}
