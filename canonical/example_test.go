package canonical_test

import (
	"errors"
	"fmt"

	"github.com/vapisec/vapisec/canonical"
)

func ExampleCanonicalize() {
	out, err := canonical.Canonicalize([]byte(`{ "b": [1.0, -0, "é"], "a": 0.1 }`))
	if err != nil {
		panic(err)
	}
	fmt.Println(string(out))
	// Output: {"a":1.0E-1,"b":[1.0E0,0,"é"]}
}

func ExampleWithProfile() {
	src := []byte(`{"s":"é😀","n":[1.0,0.1,1e21]}`)
	for _, p := range []canonical.Profile{canonical.Java, canonical.GoSDK, canonical.Python} {
		out, err := canonical.Canonicalize(src, canonical.WithProfile(p))
		if err != nil {
			panic(err)
		}
		fmt.Printf("%-6s %s\n", p, out)
	}
	// Output:
	// java   {"n":[1.0E0,1.0E-1,1.0E21],"s":"é😀"}
	// gosdk  {"n":[1,1.0E-1,1000000000000000000000],"s":"é😀"}
	// python {"n":[1.0E0,10.0E-2,1.0E21],"s":"\u00e9\ud83d\ude00"}
}

// A verifier builds the Canonicalizer once and learns whether the signature
// member was present.
func ExampleCanonicalizer_AppendResult() {
	c, err := canonical.New(canonical.WithoutMember("params", "ctx", "securityCtx", "signature"))
	if err != nil {
		panic(err)
	}
	req := []byte(`{"params":{"ctx":{"securityCtx":{"signature":{"value":"c2ln"},"schemeId":"x"}}},"id":1}`)
	res, err := c.AppendResult(nil, req)
	if err != nil {
		panic(err)
	}
	fmt.Println(string(res.Canonical))
	fmt.Println(res.Dropped, string(res.DroppedValue))
	// Output:
	// {"id":1,"params":{"ctx":{"securityCtx":{"schemeId":"x"}}}}
	// true {"value":"c2ln"}
}

func ExampleCanonicalize_errorChecking() {
	_, err := canonical.Canonicalize([]byte(`{"amount":1,"amount":1000000}`))
	switch {
	case errors.Is(err, canonical.ErrDuplicateMember):
		fmt.Println("rejected:", err)
	case errors.Is(err, canonical.ErrInvalid):
		fmt.Println("other invalid input:", err)
	}
	var ie *canonical.InputError
	if errors.As(err, &ie) {
		fmt.Println("offset:", ie.Offset)
	}
	// Output:
	// rejected: canonical: duplicate member "amount" at offset 12
	// offset: 12
}
