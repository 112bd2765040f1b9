package main

import (
	"errors"
	"io"
)

// runScore is wired to the scoring package in the scoring issue.
func runScore(args []string, out io.Writer) error {
	return errors.New("ceping score: not available yet (see the scoring issue)")
}
