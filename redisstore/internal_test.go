package redisstore

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vapisec/vapisec/session"
)

func TestMaxDepthLua(t *testing.T) {
	if maxDepthLua != strconv.Itoa(session.MaxDepth) {
		t.Fatalf("maxDepthLua = %s, session.MaxDepth = %d", maxDepthLua, session.MaxDepth)
	}
}

func TestGroupsRoundTrip(t *testing.T) {
	tests := []struct {
		name        string
		givenGroups []string
	}{
		{"ok, none", nil},
		{"ok, one", []string{"Users"}},
		{"ok, empty name and binary", []string{"", "a\x00b", "Ünïcode", string(make([]byte, 300))}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeGroups(encodeGroups(tt.givenGroups))
			if err != nil || !slices.Equal(got, tt.givenGroups) {
				t.Fatalf("round trip = %q, %v", got, err)
			}
		})
	}
}

func TestDecodeGroupsCorrupt(t *testing.T) {
	tests := []struct {
		name      string
		given     []byte
		expectErr []error
	}{
		{"nok, length beyond the data", []byte{5, 'a'}, []error{ErrUnexpectedReply, session.ErrStoreUnavailable}},
		{"nok, truncated varint", []byte{0x80}, []error{ErrUnexpectedReply}},
		{"nok, group too long", encodeGroups([]string{string(make([]byte, maxGroupLength+1))}), []error{ErrUnexpectedReply}},
		{"nok, too many groups", make([]byte, maxGroups+1), []error{ErrUnexpectedReply}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decodeGroups(tt.given)
			for _, want := range tt.expectErr {
				if !errors.Is(err, want) {
					t.Fatalf("err = %v, want %v", err, want)
				}
			}
		})
	}
}

func TestDecodeRecordCorrupt(t *testing.T) {
	ok := []any{"0", "1000", "1000", "60000", "2000", "", "", "alice", "", "scheme", ""}
	if _, err := decodeRecord(ok); err != nil {
		t.Fatalf("valid record: %v", err)
	}
	tests := []struct {
		name  string
		given func(f []any) any
	}{
		{"nok, not an array", func([]any) any { return int64(1) }},
		{"nok, too short", func(f []any) any { return f[:5] }},
		{"nok, nil field", func(f []any) any { f[2] = nil; return f }},
		{"nok, not a number", func(f []any) any { f[1] = "x"; return f }},
		{"nok, unknown kind", func(f []any) any { f[0] = "9"; return f }},
		{"nok, bad parent", func(f []any) any { f[5] = "zz"; return f }},
		{"nok, short secret", func(f []any) any { f[6] = "abc"; return f }},
		{"nok, corrupt groups", func(f []any) any { f[10] = "\x05"; return f }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decodeRecord(tt.given(slices.Clone(ok)))
			if !errors.Is(err, ErrUnexpectedReply) || !errors.Is(err, session.ErrStoreUnavailable) {
				t.Fatalf("err = %v, want ErrUnexpectedReply and ErrStoreUnavailable", err)
			}
		})
	}
}

func TestNewConfig(t *testing.T) {
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	t.Cleanup(func() { _ = client.Close() })
	tests := []struct {
		name        string
		givenClient redis.UniversalClient
		givenOpts   []Option
		expectErr   []error
	}{
		{"ok, defaults", client, nil, nil},
		{"ok, prefix and no timeout", client, []Option{WithPrefix("tenant-1"), WithTimeout(0)}, nil},
		{"nok, nil client", nil, nil, []error{ErrConfig}},
		{"nok, empty prefix", client, []Option{WithPrefix("")}, []error{ErrConfig}},
		{"nok, prefix with a brace breaks the hash tag", client, []Option{WithPrefix("a}b")}, []error{ErrConfig}},
		{"nok, negative timeout", client, []Option{WithTimeout(-time.Second)}, []error{ErrConfig}},
		{"nok, nil option", client, []Option{nil}, []error{ErrConfig}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.givenClient, tt.givenOpts...)
			_, rerr := NewReplayCache(tt.givenClient, tt.givenOpts...)
			if len(tt.expectErr) == 0 && (err != nil || rerr != nil) {
				t.Fatalf("New: %v, NewReplayCache: %v", err, rerr)
			}
			for _, want := range tt.expectErr {
				if !errors.Is(err, want) || !errors.Is(rerr, want) {
					t.Fatalf("New: %v, NewReplayCache: %v; want %v", err, rerr, want)
				}
			}
		})
	}
}

func TestParseURL(t *testing.T) {
	tests := []struct {
		name          string
		givenURL      string
		expectAddr    string
		expectDB      int
		expectTLS     bool
		expectTimeout time.Duration
		expectErr     []error
	}{
		{"ok, redis", "redis://127.0.0.1:6380/2", "127.0.0.1:6380", 2, false, DefaultTimeout, nil},
		{"ok, rediss with TLS", "rediss://u:p@redis.example:6390/0", "redis.example:6390", 0, true, DefaultTimeout, nil},
		{"ok, read timeout from the URL wins", "redis://h:1/0?read_timeout=2s", "h:1", 0, false, 2 * time.Second, nil},
		{"nok, other scheme", "http://h:1/0", "", 0, false, 0, []error{ErrConfig}},
		{"nok, bad database", "redis://h:1/x", "", 0, false, 0, []error{ErrConfig}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opt, err := ParseURL(tt.givenURL, 0)
			for _, want := range tt.expectErr {
				if !errors.Is(err, want) {
					t.Fatalf("err = %v, want %v", err, want)
				}
			}
			if len(tt.expectErr) > 0 {
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if opt.Addr != tt.expectAddr || opt.DB != tt.expectDB || (opt.TLSConfig != nil) != tt.expectTLS ||
				!opt.ContextTimeoutEnabled || opt.ReadTimeout != tt.expectTimeout || opt.DialTimeout != DefaultTimeout {
				t.Fatalf("options %+v", opt)
			}
		})
	}
	// A URL net/url rejects: the password must not be in the message.
	_, err := ParseURL("redis://u:hunter2@h:1/0\x7f", 0)
	if !errors.Is(err, ErrConfig) || err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("err = %v", err)
	}
}

func FuzzDecodeGroups(f *testing.F) {
	f.Add([]byte{})
	f.Add(encodeGroups([]string{"Users", "Administrators"}))
	f.Add([]byte{0x80, 0x01, 'a'})
	f.Fuzz(func(t *testing.T, b []byte) {
		groups, err := decodeGroups(b)
		if err != nil {
			if !errors.Is(err, session.ErrStoreUnavailable) {
				t.Fatalf("error %v does not fail closed", err)
			}
			return
		}
		// Idempotence: what decodes re-encodes to something that decodes
		// to the same groups.
		again, err := decodeGroups(encodeGroups(groups))
		if err != nil || !slices.Equal(again, groups) {
			t.Fatalf("re-decode = %q, %v; want %q", again, err, groups)
		}
	})
}

func TestNewUniversalClient(t *testing.T) {
	tests := []struct {
		name        string
		givenURL    string
		expectType  string
		expectAddrs int
		expectErr   []error
	}{
		{name: "ok, one server", givenURL: "redis://127.0.0.1:6380/2", expectType: "*redis.Client"},
		{name: "ok, cluster seeds", givenURL: "redis://127.0.0.1:7000?addr=127.0.0.1:7001&addr=127.0.0.1:7002", expectType: "*redis.ClusterClient", expectAddrs: 3},
		{name: "ok, sentinel", givenURL: "redis://127.0.0.1:26379/0?master_name=mymaster&addr=127.0.0.1:26380", expectType: "*redis.Client"},
		{name: "nok, sentinel without a master name", givenURL: "redis://127.0.0.1:26379/0?master_name=", expectErr: []error{ErrConfig}},
		{name: "nok, cluster with an unknown option", givenURL: "redis://h:1?addr=h:2&bogus=1", expectErr: []error{ErrConfig}},
		{name: "nok, other scheme", givenURL: "http://h:1?addr=h:2", expectErr: []error{ErrConfig}},
		{name: "nok, password never in the message", givenURL: "redis://u:hunter2@h:1/0?master_name=m&addr=x\x7f", expectErr: []error{ErrConfig}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := NewUniversalClient(tt.givenURL, 0)
			for _, want := range tt.expectErr {
				if !errors.Is(err, want) || strings.Contains(err.Error(), "hunter2") {
					t.Fatalf("err = %v, want %v without the password", err, want)
				}
			}
			if len(tt.expectErr) > 0 {
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if got := fmt.Sprintf("%T", c); got != tt.expectType {
				t.Fatalf("client %s, want %s", got, tt.expectType)
			}
			if cc, ok := c.(*redis.ClusterClient); ok {
				if o := cc.Options(); len(o.Addrs) != tt.expectAddrs || !o.ContextTimeoutEnabled || o.ReadTimeout != DefaultTimeout || o.DialerRetries != 2 {
					t.Fatalf("cluster options %+v", o)
				}
			}
			if cl, ok := c.(*redis.Client); ok {
				if o := cl.Options(); !o.ContextTimeoutEnabled || o.ReadTimeout != DefaultTimeout {
					t.Fatalf("options %+v", o)
				}
			}
		})
	}
}

// FuzzNewUniversalClient: any URL yields a client or ErrConfig, never a
// panic, and the error never shows the URL's password.
func FuzzNewUniversalClient(f *testing.F) {
	for _, u := range []string{
		"redis://127.0.0.1:6379/0", "rediss://u:p@h:1/2?dial_timeout=1s",
		"redis://h1:1?addr=h2:2&addr=h3:3", "redis://s1:1/0?master_name=m&addr=s2:2",
		"redis://h:1?addr=", "redis://h:1/0?master_name=", "redis://[::1]:1?addr=[::1]:2", "unix:///tmp/redis.sock",
	} {
		f.Add(u, "hunter2")
	}
	f.Fuzz(func(t *testing.T, raw, password string) {
		if len(password) < 6 || strings.ContainsAny(password, "@/:?#%[]") || strings.Contains(raw, password) {
			// A password that is also part of the rest of the URL may
			// rightly appear in an error naming, say, the port.
			return
		}
		// Put the password into the URL where a password goes.
		u := raw
		if scheme, rest, ok := strings.Cut(raw, "://"); ok {
			u = scheme + "://user:" + password + "@" + rest
		}
		c, err := NewUniversalClient(u, time.Millisecond)
		if err != nil {
			if !errors.Is(err, ErrConfig) {
				t.Fatalf("NewUniversalClient(%q): %v, want ErrConfig", u, err)
			}
			if strings.Contains(err.Error(), password) {
				t.Fatalf("error shows the password: %v", err)
			}
			return
		}
		_ = c.Close()
	})
}
