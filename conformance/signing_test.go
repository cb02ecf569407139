package conformance_test

import (
	"crypto"
	"os"
	"testing"

	"github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/conformance"
)

const fixtures = "../testdata/vcf-sdk-java/"

// TestSignRequestSpecVector: the SIGN signature of spec §11.4 (govmomi's
// construction, key hok, fixed nonce).
func TestSignRequestSpecVector(t *testing.T) {
	key := loadKey(t, fixtures+"hok.key.pem")
	sig, bodyHash, err := conformance.SignRequest(key, "1700000000000:1234567890", "POST", "/rest/com/vmware/cis/session", "vc.example.com", "80", nil)
	if err != nil {
		t.Fatal(err)
	}
	if bodyHash != "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=" {
		t.Errorf("bodyhash %s", bodyHash)
	}
	const want = "ezCCAuz4+FQhVI90WVfjeaNxigDA+ZoObQ0wizAgam/6MKXFScxjV1Qol7rVqytKM7rckUbp2B9St+tobs8tO/ztayO5AaspmE5xjn03v7LXX4ocoMNNUWypQPeXBWvyBo61wESg+9mdmTKOu1Mk1r2eHd1Om0XRGSvYWeXJTRxDPmq0zXq/nRgkSJKFiUK3rl/W2WnGoX7/0JKrekhfSfAmeZMhLfyIOW0m0k4DBjvAlfVaGmn8HD9KEDGZ8gzNLMaGna91gRIiuHPadsbJ2+uII5x4abZRMQHxsy2fpVWh93+uru2G0ba0Gx3Evj8H/0+SIg7Gso+Y2KGK70x7iw=="
	if sig != want {
		t.Errorf("signature\n got %s\nwant %s", sig, want)
	}
}

// TestSignJSONRPCSpecVector: the RS256 signed request of spec §11.3, which
// the Java, Python and GoSDK verifiers accept.
func TestSignJSONRPCSpecVector(t *testing.T) {
	key := loadKey(t, fixtures+"hok.key.pem")
	body := []byte(`{"jsonrpc":"2.0","method":"invoke","id":"42","params":{"serviceId":"com.vmware.cis.session","operationId":"create","input":{"STRUCTURE":{"operation-input":{}}},"ctx":{"appCtx":{"opId":"op-1"}}}}`)
	ctx := map[string]any{
		"schemeId":           "com.vmware.vapi.std.security.saml_hok_token",
		"signatureAlgorithm": "RS256",
		"timestamp":          map[string]any{"created": "2024-01-01T00:00:00.000Z", "expires": "2024-01-01T00:20:00.000Z"},
	}
	sig, req, err := conformance.SignJSONRPC(key, body, ctx)
	if err != nil {
		t.Fatal(err)
	}
	const want = "wfuVyi5wrl++Z++2P+D2ItZ0WxJpL9cN4k3Py94Hwj2w/dw9ehzXyLah/vU3iSa52icobYeg7SksuikABn0bgcSPqjLQ6RsTcuKz73ZUqv8Y4P7YwK8f2w1jNoSGPhW/XrbeN88tHFKI5nbKcQJAWCInS/8jBQAM5Wg9bPwYCVX6IpVoknujh6eI4YWgFP7NWrgwjKfdIPNv/JVQ/Ba+57+PHJlhge+glYJXam+8aUi7KxxWQzSUo7SaIC0xyBh82lfXQOtFgXsfH6rJgP9A2BShY8mZmoCukTP+KTE11HkdeFQGPUj8ALi6WXSefTn9iK2Pb/Qk+tHjx30nHbchIw=="
	if sig != want {
		t.Errorf("signature\n got %s\nwant %s", sig, want)
	}
	if req["params"].(map[string]any)["ctx"].(map[string]any)["securityCtx"] == nil {
		t.Error("securityCtx not in the returned request")
	}
	if _, _, err := conformance.SignJSONRPC(key, []byte(`{"jsonrpc":"2.0"}`), ctx); err == nil {
		t.Error("a body without params was signed")
	}
}

func loadKey(t *testing.T, name string) crypto.Signer {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	key, err := vapisec.ParsePrivateKeyPEM(data)
	if err != nil {
		t.Fatal(err)
	}
	return key
}
