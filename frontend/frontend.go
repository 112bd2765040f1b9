// Package frontend holds the embedded pages and static assets: Chinese
// first, no build step, nothing from a CDN.
package frontend

import (
	"embed"
	"fmt"
)

//go:embed pages
var pages embed.FS

// Page returns an embedded page by file name.
func Page(name string) ([]byte, error) {
	b, err := pages.ReadFile("pages/" + name)
	if err != nil {
		return nil, fmt.Errorf("page %s: %w", name, err)
	}
	return b, nil
}
