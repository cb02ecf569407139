package datavalue_test

import (
	"fmt"

	"github.com/vapisec/vapisec/datavalue"
)

// An application handler answers its own JSON-RPC operation with a
// structure.
func ExampleAppendResponse() {
	out := datavalue.Structure{Name: "com.example.vm.info", Fields: []datavalue.Field{
		{Name: "name", Value: datavalue.String("vm-1")},
		{Name: "memory_mib", Value: datavalue.Long(4096)},
		{Name: "notes", Value: datavalue.Optional{}},
		{Name: "tags", Value: datavalue.List{datavalue.String("prod")}},
	}}
	fmt.Println(string(datavalue.AppendResponse(nil, []byte(`"42"`), out)))
	// Output:
	// {"id":"42","jsonrpc":"2.0","result":{"output":{"STRUCTURE":{"com.example.vm.info":{"memory_mib":4096,"name":"vm-1","notes":{"OPTIONAL":null},"tags":["prod"]}}}}}
}

// A failed operation is a result too: VMware's clients turn it into their
// typed error (here errors.NotFound).
func ExampleAppendErrorResponse() {
	e := datavalue.StdError{Kind: "not_found", Messages: []datavalue.Message{
		{ID: "com.example.vm.not_found", DefaultMessage: "VM vm-9 not found", Args: []string{"vm-9"}},
	}}
	fmt.Println(string(datavalue.AppendErrorResponse(nil, []byte("7"), e)))
	// Output:
	// {"id":7,"jsonrpc":"2.0","result":{"error":{"ERROR":{"com.vmware.vapi.std.errors.not_found":{"data":{"OPTIONAL":null},"error_type":{"OPTIONAL":"NOT_FOUND"},"messages":[{"STRUCTURE":{"com.vmware.vapi.std.localizable_message":{"args":["vm-9"],"default_message":"VM vm-9 not found","id":"com.example.vm.not_found","localized":{"OPTIONAL":null},"params":{"OPTIONAL":null}}}}]}}}}}
}

// Only a body that is not a request at all gets a JSON-RPC error member.
func ExampleAppendRPCError() {
	fmt.Println(string(datavalue.AppendRPCError(nil, nil, datavalue.CodeParseError, "Parse error")))
	// Output:
	// {"error":{"code":-32700,"message":"Parse error"},"id":null,"jsonrpc":"2.0"}
}

func ExampleMarshal() {
	b, _ := datavalue.Marshal(datavalue.Double(1e21))
	fmt.Println(string(b))
	// Output:
	// 1000000000000000000000.0
}
