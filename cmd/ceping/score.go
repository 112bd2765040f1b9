package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/ceping/ceping/scoring"
)

// runScore computes the score table offline from a JSON file of rules,
// units, targets and evaluations (DESIGN.md, "Scores") and prints it.
func runScore(args []string, out io.Writer) error {
	if len(args) != 1 {
		return errors.New("usage: ceping score FILE.json   (use - for standard input)")
	}
	var data []byte
	var err error
	if args[0] == "-" {
		data, err = io.ReadAll(os.Stdin)
	} else {
		data, err = os.ReadFile(args[0])
	}
	if err != nil {
		return fmt.Errorf("read input: %w", err)
	}
	in, err := scoring.ParseInput(data)
	if err != nil {
		return err
	}
	table, err := scoring.Compute(in)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(map[string]any{"units": table.Units})
}
