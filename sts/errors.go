package sts

import "errors"

// Sentinels of the sts package.
var (
	// ErrInvalidOption reports an invalid STS configuration.
	ErrInvalidOption = errors.New("sts: invalid option")
	// ErrInvalidRequest reports an IssueRequest that cannot be issued (no
	// subject, negative lifetime, …).
	ErrInvalidRequest = errors.New("sts: invalid issue request")
	// ErrUnsupportedKey reports a signing key other than RSA.
	ErrUnsupportedKey = errors.New("sts: unsupported key type")
	// ErrInvalidPEM reports PEM data without the expected block.
	ErrInvalidPEM = errors.New("sts: invalid PEM data")
)
