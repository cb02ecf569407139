package interop

import (
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/vmware/vsphere-automation-sdk-go/lib/cis"
	vapiStd "github.com/vmware/vsphere-automation-sdk-go/lib/vapi/std"
	vapiErrors "github.com/vmware/vsphere-automation-sdk-go/lib/vapi/std/errors"
	"github.com/vmware/vsphere-automation-sdk-go/runtime/bindings"
	"github.com/vmware/vsphere-automation-sdk-go/runtime/core"
	"github.com/vmware/vsphere-automation-sdk-go/runtime/data"
	"github.com/vmware/vsphere-automation-sdk-go/runtime/l10n"
	"github.com/vmware/vsphere-automation-sdk-go/runtime/protocol/server/rpc/msg"

	"github.com/vapisec/vapisec/datavalue"
)

// The oracle of our JSON-RPC replies is the SDK itself: its server-side
// encoder (runtime/protocol/server/rpc/msg, what a Go vAPI provider answers
// with) and the decoder its client runs on every reply. A reply of ours is
// right when the SDK's decoder turns it into the same DataValue as the SDK's
// own encoding of the same result.

// sdkEncodeReply returns the JSON-RPC response the SDK's server-side
// encoder writes for result.
func sdkEncodeReply(t *testing.T, id string, result core.MethodResult) []byte {
	t.Helper()
	b, err := msg.NewJsonRpcEncoder().Encode(msg.NewJsonRpc20Response(id, result, nil))
	if err != nil {
		t.Fatalf("the SDK's encoder: %v", err)
	}
	return b
}

// sdkDecodeReply decodes a JSON-RPC response as the SDK's JSON-RPC client
// does (RegularResponseHandler): the response envelope, then result as a
// method result. It returns the id and the result.
func sdkDecodeReply(body []byte) (any, core.MethodResult, error) {
	resp, jerr := msg.DeSerializeResponse(body)
	if jerr != nil {
		return nil, nil, fmt.Errorf("JSON-RPC envelope: %s", jerr.Message())
	}
	m, ok := resp.Result().(map[string]any)
	if !ok {
		return resp.Id(), nil, fmt.Errorf("result is not an object (error member: %v)", resp.Error())
	}
	r, err := msg.NewJsonRpcDecoder().DeserializeMethodResult(m)
	return resp.Id(), r, err
}

// toVapi converts a Go value of a generated binding to its DataValue, as a
// generated provider does before the encoder writes it.
func toVapi(t *testing.T, v any, bt bindings.BindingType) data.DataValue {
	t.Helper()
	dv, errs := bindings.NewTypeConverter().ConvertToVapi(v, bt)
	if len(errs) > 0 {
		t.Fatalf("ConvertToVapi: %v", errs)
	}
	return dv
}

// oracleCase is one result of a vAPI operation: Output or Error (exactly one
// set), as the SDK builds it.
type oracleCase struct {
	name   string
	output data.DataValue
	err    *data.ErrorValue
	// ours is the same result written with our encoder (package
	// datavalue): an output, or a StdError for an error case.
	ours datavalue.Value
	// binding, when set, is the generated binding type the SDK's client
	// converts the output to (what an application gets).
	binding bindings.BindingType
}

func (c oracleCase) result() core.MethodResult {
	if c.err != nil {
		return core.NewErrorResult(c.err)
	}
	return core.NewDataResult(c.output)
}

// message is a localizable message as the SDK's generated binding holds it.
func message(id, text string, args ...string) vapiStd.LocalizableMessage {
	if args == nil {
		args = []string{}
	}
	return vapiStd.LocalizableMessage{Id: id, DefaultMessage: text, Args: args}
}

// ourMessage is m for our encoder.
func ourMessage(m vapiStd.LocalizableMessage) datavalue.Message {
	return datavalue.Message{ID: m.Id, DefaultMessage: m.DefaultMessage, Args: m.Args}
}

// oracleCases are the results the security layer and the applications
// behind it answer: every DataValue form of spec §13.2 and every standard
// error our middlewares write, with messages and data.
func oracleCases(t *testing.T) []oracleCase {
	t.Helper()
	created := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	unauth := vapiErrors.ErrorType_UNAUTHENTICATED
	challenge := `SIGN realm="vapisec",sts="https://sts.example/sts", Basic realm="vapisec"`
	list := data.NewListValue()
	list.Add(data.NewStringValue("a"))
	list.Add(data.NewStringValue("b\u00e9\U0001F600"))
	errData := data.NewStructValue("com.vmware.vapi.std.dynamic_ID", map[string]data.DataValue{
		"id":   data.NewStringValue("vm-1"),
		"type": data.NewStringValue("VirtualMachine"),
	})
	reason := message("vapisec.reason.expired", "The session has expired.")
	cases := []oracleCase{
		{name: "string", output: data.NewStringValue("vm-1 \"quoted\" <tag> & \u2028"), ours: datavalue.String("vm-1 \"quoted\" <tag> & \u2028")},
		// The SDK's encoder writes a SecretValue as {"SECRET":"…"}; spec
		// §13.2 captured a plain string for session create (the SDK's
		// binding reads a secret from either form).
		{name: "session create (secret)", output: toVapi(t, "sid-1", cis.SessionCreateOutputType()), ours: datavalue.Secret("sid-1"), binding: cis.SessionCreateOutputType()},
		{name: "session create (string, as captured)", output: data.NewStringValue("sid-1"), ours: datavalue.String("sid-1"), binding: cis.SessionCreateOutputType()},
		{name: "session get (structure session info)", output: toVapi(t, cis.SessionInfo{
			User: `VSPHERE.LOCAL\alice`, CreatedTime: created, LastAccessedTime: created.Add(time.Second),
		}, cis.SessionGetOutputType()), ours: datavalue.Structure{Name: "com.vmware.cis.session.info", Fields: []datavalue.Field{
			{Name: "user", Value: datavalue.String(`VSPHERE.LOCAL\alice`)},
			{Name: "created_time", Value: datavalue.String("2024-01-01T00:00:00.000Z")},
			{Name: "last_accessed_time", Value: datavalue.String("2024-01-01T00:00:01.000Z")},
		}}, binding: cis.SessionGetOutputType()},
		{name: "session delete (void)", output: data.NewVoidValue(), ours: datavalue.Void{}},
		{name: "optional set", output: data.NewOptionalValue(data.NewStringValue("x")), ours: datavalue.Optional{Value: datavalue.String("x")}},
		{name: "optional unset", output: data.NewOptionalValue(nil), ours: datavalue.Optional{}},
		{name: "list", output: list, ours: datavalue.List{datavalue.String("a"), datavalue.String("b\u00e9\U0001F600")}},
		{name: "empty list", output: data.NewListValue(), ours: datavalue.List{}},
		{name: "secret", output: data.NewSecretValue("s3cret"), ours: datavalue.Secret("s3cret")},
		{name: "long, double, boolean", output: data.NewStructValue("com.example.numbers", map[string]data.DataValue{
			"long": data.NewIntegerValue(-9007199254740993), "double": data.NewDoubleValue(0.25),
			"big": data.NewDoubleValue(1e21), "flag": data.NewBooleanValue(true),
		}), ours: datavalue.Structure{Name: "com.example.numbers", Fields: []datavalue.Field{
			{Name: "long", Value: datavalue.Long(-9007199254740993)}, {Name: "double", Value: datavalue.Double(0.25)},
			{Name: "big", Value: datavalue.Double(1e21)}, {Name: "flag", Value: datavalue.Boolean(true)},
		}}},
		// The form spec §13.3 captured: the runtime's own std error
		// definition (messages, data, error_type), as its security filters
		// build it.
		{name: "unauthenticated (runtime)", err: bindings.CreateErrorValueFromMessages(bindings.UNAUTHENTICATED_ERROR_DEF,
			[]error{l10n.NewRuntimeError("vapi.security.authentication.invalid", nil)}),
			ours: datavalue.StdError{Kind: "unauthenticated", Messages: []datavalue.Message{{ID: "vapi.security.authentication.invalid", DefaultMessage: "Unable to authenticate user"}}}},
		// The generated binding's form (with challenge), with our reason code
		// as the second message and data set.
		{name: "unauthenticated with reason, data and challenge", err: withData(toVapi(t, vapiErrors.Unauthenticated{
			Messages:  []vapiStd.LocalizableMessage{message("vapi.security.authentication.invalid", "Unable to authenticate user"), reason},
			ErrorType: &unauth,
			Challenge: &challenge,
		}, vapiErrors.UnauthenticatedBindingType()).(*data.ErrorValue), errData),
			ours: datavalue.StdError{Kind: "unauthenticated", Challenge: challenge,
				Messages: []datavalue.Message{ourMessage(message("vapi.security.authentication.invalid", "Unable to authenticate user")), ourMessage(reason)},
				Data: datavalue.Structure{Name: "com.vmware.vapi.std.dynamic_ID", Fields: []datavalue.Field{
					{Name: "id", Value: datavalue.String("vm-1")}, {Name: "type", Value: datavalue.String("VirtualMachine")},
				}}}},
	}
	for _, e := range []struct {
		name string
		v    any
		bt   bindings.BindingType
	}{
		{"unauthorized", vapiErrors.Unauthorized{Messages: []vapiStd.LocalizableMessage{message("vapi.security.authorization.invalid", "Unable to authorize user")}}, vapiErrors.UnauthorizedBindingType()},
		{"invalid_argument", vapiErrors.InvalidArgument{Messages: []vapiStd.LocalizableMessage{message("vapi.security.context.creation.failed", "Security context creation failed, Failure: x", "x")}}, vapiErrors.InvalidArgumentBindingType()},
		{"invalid_request", vapiErrors.InvalidRequest{Messages: []vapiStd.LocalizableMessage{message("vapisec.reason.ambiguous", "More than one credential.")}}, vapiErrors.InvalidRequestBindingType()},
		{"service_unavailable", vapiErrors.ServiceUnavailable{Messages: []vapiStd.LocalizableMessage{message("vapisec.reason.store_unavailable", "The session store is unavailable.")}}, vapiErrors.ServiceUnavailableBindingType()},
		{"unable_to_allocate_resource", vapiErrors.UnableToAllocateResource{Messages: []vapiStd.LocalizableMessage{message("vapisec.reason.quota", "Quota exceeded.")}}, vapiErrors.UnableToAllocateResourceBindingType()},
		{"not_found", vapiErrors.NotFound{Messages: []vapiStd.LocalizableMessage{}}, vapiErrors.NotFoundBindingType()},
		{"operation_not_found", vapiErrors.OperationNotFound{Messages: []vapiStd.LocalizableMessage{message("vapi.method.input.invalid", "no such operation")}}, vapiErrors.OperationNotFoundBindingType()},
		{"internal_server_error", vapiErrors.InternalServerError{Messages: []vapiStd.LocalizableMessage{}}, vapiErrors.InternalServerErrorBindingType()},
	} {
		var msgs []datavalue.Message
		for _, m := range reflect.ValueOf(e.v).FieldByName("Messages").Interface().([]vapiStd.LocalizableMessage) {
			msgs = append(msgs, ourMessage(m))
		}
		// error_type set as the runtime sets it (CreateErrorValueFromMessages).
		v := reflect.New(reflect.TypeOf(e.v)).Elem()
		v.Set(reflect.ValueOf(e.v))
		et := vapiErrors.ErrorTypeEnum(strings.ToUpper(e.name))
		v.FieldByName("ErrorType").Set(reflect.ValueOf(&et))
		cases = append(cases, oracleCase{name: e.name, err: toVapi(t, v.Interface(), e.bt).(*data.ErrorValue), ours: datavalue.StdError{Kind: e.name, Messages: msgs}})
	}
	return cases
}

// withData sets the data field of e (the SDK's type converter refuses a
// *data.StructValue in the generated Data field, so it is set on the value).
func withData(e *data.ErrorValue, d *data.StructValue) *data.ErrorValue {
	e.SetField("data", data.NewOptionalValue(d))
	return e
}

// sameResult reports whether two decoded method results hold the same
// DataValue (output or error).
func sameResult(a, b core.MethodResult) bool {
	return a.IsSuccess() == b.IsSuccess() && reflect.DeepEqual(a.Output(), b.Output()) && reflect.DeepEqual(a.Error(), b.Error())
}

// TestSDKOracleRoundTrip: the harness itself. Every case the SDK encodes
// decodes back (with the SDK's client decoder) to a result the SDK's
// bindings accept, and the forms spec §13 captured are byte for byte what
// the SDK writes today (testdata/sdk-jsonrpc-replies.json).
func TestSDKOracleRoundTrip(t *testing.T) {
	for _, c := range oracleCases(t) {
		t.Run(c.name, func(t *testing.T) {
			body := sdkEncodeReply(t, "7", c.result())
			id, got, err := sdkDecodeReply(body)
			if err != nil {
				t.Fatalf("the SDK does not decode its own reply %s: %v", body, err)
			}
			if id != "7" {
				t.Errorf("id %v", id)
			}
			again, _, _ := sdkDecodeReply(sdkEncodeReply(t, "7", got))
			if !reflect.DeepEqual(got, again) && !sameResult(mustDecode(t, body), mustDecode(t, sdkEncodeReply(t, "7", got))) {
				t.Errorf("encoding is not stable: %s", body)
			}
			if !c.result().IsSuccess() && got.IsSuccess() {
				t.Errorf("an error decoded as a success: %s", body)
			}
		})
	}

	var golden []struct {
		Name  string          `json:"name"`
		Reply json.RawMessage `json:"reply"`
	}
	b, err := os.ReadFile("testdata/sdk-jsonrpc-replies.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &golden); err != nil {
		t.Fatal(err)
	}
	byName := map[string]oracleCase{}
	for _, c := range oracleCases(t) {
		byName[c.name] = c
	}
	for _, g := range golden {
		c, ok := byName[g.Name]
		if !ok {
			t.Errorf("golden %q has no case", g.Name)
			continue
		}
		if got := sdkEncodeReply(t, "1", c.result()); string(got) != string(g.Reply) {
			t.Errorf("%s: the SDK writes\n %s\nspec §13 captured\n %s", g.Name, got, g.Reply)
		}
	}
}

func mustDecode(t *testing.T, body []byte) core.MethodResult {
	t.Helper()
	_, r, err := sdkDecodeReply(body)
	if err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	return r
}

// normalize returns v with every SecretValue replaced by a StringValue of
// the same text, recursively. The SDK's encoder writes a secret as
// {"SECRET":"…"} and ours (like the capture of spec §13.2) as a plain
// string; the SDK's client decodes the first to a SecretValue and the
// second to a StringValue, and its bindings read a secret from either
// (bindings.DataValueToNativeConverter). Nothing else is normalized.
func normalize(v data.DataValue) data.DataValue {
	if v == nil || reflect.ValueOf(v).IsNil() {
		return nil
	}
	switch x := v.(type) {
	case *data.SecretValue:
		return data.NewStringValue(x.Value())
	case *data.OptionalValue:
		if x.IsSet() {
			return data.NewOptionalValue(normalize(x.Value()))
		}
		return x
	case *data.ListValue:
		l := data.NewListValue()
		for _, e := range x.List() {
			l.Add(normalize(e))
		}
		return l
	case *data.ErrorValue:
		fields := map[string]data.DataValue{}
		for k, f := range x.Fields() {
			fields[k] = normalize(f)
		}
		return data.NewErrorValue(x.Name(), fields)
	case *data.StructValue:
		fields := map[string]data.DataValue{}
		for k, f := range x.Fields() {
			fields[k] = normalize(f)
		}
		return data.NewStructValue(x.Name(), fields)
	}
	return v
}

// TestSDKOracleOurEncoderDecodesAsTheSDKs: for every result, the bytes of
// our encoder (datavalue.AppendResponse / AppendErrorResponse) decode, with
// the SDK's client decoder, to the same DataValue as the SDK's server-side
// encoding of the same result; where the SDK has a generated binding for
// it, the binding converts both to the same Go value.
func TestSDKOracleOurEncoderDecodesAsTheSDKs(t *testing.T) {
	for _, c := range oracleCases(t) {
		t.Run(c.name, func(t *testing.T) {
			if c.ours == nil {
				t.Fatal("no encoding of ours for this case")
			}
			var body []byte
			if c.err != nil {
				body = datavalue.AppendErrorResponse(nil, []byte(`"7"`), c.ours)
			} else {
				body = datavalue.AppendResponse(nil, []byte(`"7"`), c.ours)
			}
			if !json.Valid(body) {
				t.Fatalf("ours is not JSON: %s", body)
			}
			id, got, err := sdkDecodeReply(body)
			if err != nil {
				t.Fatalf("the SDK's client does not decode ours %s: %v", body, err)
			}
			if id != "7" {
				t.Errorf("id %v", id)
			}
			want := mustDecode(t, sdkEncodeReply(t, "7", c.result()))
			if got.IsSuccess() != want.IsSuccess() {
				t.Fatalf("ours decodes as success=%v, the SDK's as %v: %s", got.IsSuccess(), want.IsSuccess(), body)
			}
			if !reflect.DeepEqual(normalize(got.Output()), normalize(want.Output())) || !reflect.DeepEqual(normalize(got.Error()), normalize(want.Error())) {
				t.Errorf("ours decodes to another DataValue:\n ours %s\n sdk  %s", body, sdkEncodeReply(t, "7", c.result()))
			}
			if c.binding != nil {
				tc := bindings.NewTypeConverter()
				g, gerr := tc.ConvertToGolang(got.Output(), c.binding)
				w, werr := tc.ConvertToGolang(want.Output(), c.binding)
				if len(gerr) > 0 || len(werr) > 0 || !reflect.DeepEqual(g, w) {
					t.Errorf("the binding reads ours as %#v (%v), the SDK's as %#v (%v)", g, gerr, w, werr)
				}
			}
		})
	}
}
