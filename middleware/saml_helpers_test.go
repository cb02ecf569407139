package middleware_test

import (
	"io"
	"net/http"

	"github.com/labstack/echo/v4"
)

// echoBody answers with the request body the handler reads.
func echoBody(c echo.Context) error {
	b, err := io.ReadAll(c.Request().Body)
	if err != nil {
		return err
	}
	return c.Blob(http.StatusOK, "application/json", b)
}
