package conformance_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"

	"github.com/vapisec/vapisec/conformance"
)

// Run the session-endpoint cases of the suite against a server and list
// the outcomes.
func Example() {
	h, err := vapisecHandler() // a vapisec server, as "vapisec serve --dev"
	if err != nil {
		panic(err)
	}
	ts := httptest.NewServer(h)
	defer ts.Close()
	r, err := conformance.NewRunner(ts.URL,
		conformance.WithBasic("alice@vsphere.local", "s3cret:with-colon"),
		conformance.WithRun(`^spec-4/(legacy|api)-create$`))
	if err != nil {
		panic(err)
	}
	rep := r.Run(context.Background())
	for _, c := range rep.Cases {
		fmt.Println(c.Status, c.ID)
	}
	fmt.Println("ok:", rep.OK())
	// Output:
	// PASS spec-4/legacy-create
	// PASS spec-4/api-create
	// ok: true
}

// Option errors match ErrInvalidOption.
func ExampleNewRunner_errorChecking() {
	_, err := conformance.NewRunner("ftp://vc.example.com")
	fmt.Println(errors.Is(err, conformance.ErrInvalidOption))
	_, err = conformance.NewRunner("https://vc.example.com", conformance.WithLevel("may"))
	fmt.Println(errors.Is(err, conformance.ErrInvalidOption))
	// Output:
	// true
	// true
}
