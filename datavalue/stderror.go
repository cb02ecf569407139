package datavalue

import "strings"

// StdErrorPrefix is the type-name prefix of the vAPI standard errors.
const StdErrorPrefix = "com.vmware.vapi.std.errors."

// LocalizableMessageType is the structure name of a vAPI localizable
// message.
const LocalizableMessageType = "com.vmware.vapi.std.localizable_message"

// Message is a vAPI localizable message
// (com.vmware.vapi.std.localizable_message), as the std errors carry them
// in "messages": id, default_message, args, and the optional params and
// localized, written {"OPTIONAL":null} when unset. A nil Args is written
// [].
type Message struct {
	// ID is the message id, e.g. "vapi.security.authentication.invalid".
	ID string
	// DefaultMessage is the English text.
	DefaultMessage string
	// Args are the positional arguments of the message template.
	Args []string
	// Localized is the localized text; nil (the zero value) writes
	// {"OPTIONAL":null}.
	Localized *string
}

// AppendJSON implements Value: {"STRUCTURE":{"com.vmware.vapi.std.localizable_message":{…}}}.
func (m Message) AppendJSON(dst []byte) []byte {
	dst = append(dst, `{"STRUCTURE":{"`+LocalizableMessageType+`":{"args":[`...)
	for i, a := range m.Args {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = AppendString(dst, a)
	}
	dst = append(dst, `],"default_message":`...)
	dst = AppendString(dst, m.DefaultMessage)
	dst = append(dst, `,"id":`...)
	dst = AppendString(dst, m.ID)
	dst = append(dst, `,"localized":{"OPTIONAL":`...)
	if m.Localized != nil {
		dst = AppendString(dst, *m.Localized)
	} else {
		dst = append(dst, "null"...)
	}
	return append(dst, `},"params":{"OPTIONAL":null}}}}`...)
}

// StdError is a vAPI standard error (com.vmware.vapi.std.errors.<Kind>) as
// spec §13.3 shows it: {"ERROR":{"com.vmware.vapi.std.errors.<Kind>":
// {"data":{"OPTIONAL":…},"error_type":{"OPTIONAL":"<KIND>"},"messages":[…]}}},
// plus "challenge" for unauthenticated when Challenge is set. VMware's SDK
// clients turn it into their typed error (errors.Unauthenticated, …).
type StdError struct {
	// Kind is the error's short name: "unauthenticated", "unauthorized",
	// "invalid_request", "service_unavailable",
	// "unable_to_allocate_resource", … Required.
	Kind string
	// Messages are the error's localizable messages. Nil is written [].
	Messages []Message
	// Data is the error's optional data; nil (the zero value) writes
	// {"OPTIONAL":null}.
	Data Value
	// ErrorType is the error_type enum value. Default value: Kind in upper
	// case ("UNAUTHENTICATED").
	ErrorType string
	// Challenge is the optional "challenge" of unauthenticated (the
	// WWW-Authenticate challenge). Default value "": the member is left out,
	// as in spec §13.3.
	Challenge string
}

// Name returns the error's type name, StdErrorPrefix + Kind.
func (e StdError) Name() string { return StdErrorPrefix + e.Kind }

// AppendJSON implements Value.
func (e StdError) AppendJSON(dst []byte) []byte {
	dst = append(dst, `{"ERROR":{`...)
	dst = AppendString(dst, StdErrorPrefix+e.Kind)
	dst = append(dst, `:{`...)
	if e.Challenge != "" {
		dst = append(dst, `"challenge":{"OPTIONAL":`...)
		dst = AppendString(dst, e.Challenge)
		dst = append(dst, `},`...)
	}
	dst = append(dst, `"data":{"OPTIONAL":`...)
	dst = appendValue(dst, e.Data)
	dst = append(dst, `},"error_type":{"OPTIONAL":`...)
	et := e.ErrorType
	if et == "" {
		et = strings.ToUpper(e.Kind)
	}
	dst = AppendString(dst, et)
	dst = append(dst, `},"messages":[`...)
	for i, m := range e.Messages {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = m.AppendJSON(dst)
	}
	return append(dst, "]}}}"...)
}
