package interop

import (
	"encoding/json"
	"io"
	"net/http"
)

func jsonDecode(res *http.Response, v any) error {
	b, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
