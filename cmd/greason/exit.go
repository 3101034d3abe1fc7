package main

import "errors"

// userError marks an error in what the user asked for (a judge without the URL it needs, bad
// SQL): greason exits with status 2 for it, 1 for other failures.
type userError struct{ err error }

func (e userError) Error() string { return e.err.Error() }
func (e userError) Unwrap() error { return e.err }

// asUserError wraps err (nil stays nil).
func asUserError(err error) error {
	if err == nil {
		return nil
	}
	return userError{err}
}

// exitCode is the process status for an error returned by a command.
func exitCode(err error) int {
	var u userError
	if errors.As(err, &u) {
		return 2
	}
	return 1
}
