// Package frontend holds the embedded pages and static assets: Chinese
// first, no build step, nothing from a CDN. Assets are served under
// content-hashed URLs (/static/<hash>/<name>) so they can be cached forever;
// pages are html/template files that name assets with {{asset "name"}}.
package frontend

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"mime"
	"path"
	"strings"
	"sync"
)

//go:embed pages static
var files embed.FS

// Asset is one static file.
type Asset struct {
	Name        string
	URL         string // /static/<hash>/<name>
	ContentType string
	Body        []byte
}

var assets = sync.OnceValue(func() map[string]*Asset {
	out := map[string]*Asset{}
	fs.WalkDir(files, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := files.ReadFile(p)
		if err != nil {
			return err
		}
		name := strings.TrimPrefix(p, "static/")
		sum := sha256.Sum256(body)
		ct := mime.TypeByExtension(path.Ext(name))
		if ct == "" {
			ct = "application/octet-stream"
		}
		out[name] = &Asset{Name: name, URL: "/static/" + hex.EncodeToString(sum[:])[:12] + "/" + name, ContentType: ct, Body: body}
		return nil
	})
	return out
})

// AssetURL returns the content-hashed URL of a static file. It panics on an
// unknown name, so a broken page fails its first test, not a voter.
func AssetURL(name string) string {
	a, ok := assets()[name]
	if !ok {
		panic(fmt.Sprintf("frontend: no static file %q", name))
	}
	return a.URL
}

// Named returns the asset of a name, for the few served at a fixed address
// (/favicon.ico).
func Named(name string) (*Asset, bool) {
	a, ok := assets()[name]
	return a, ok
}

// Lookup returns the asset served at hash and name; an old hash is not found.
func Lookup(hash, name string) (*Asset, bool) {
	a, ok := assets()[name]
	if !ok || a.URL != "/static/"+hash+"/"+name {
		return nil, false
	}
	return a, true
}

var templates = sync.OnceValues(func() (*template.Template, error) {
	return template.New("").Funcs(template.FuncMap{"asset": AssetURL}).ParseFS(files, "pages/*.html")
})

// Render executes a page template with data.
func Render(page string, data any) ([]byte, error) {
	t, err := templates()
	if err != nil {
		return nil, fmt.Errorf("parse pages: %w", err)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, page, data); err != nil {
		return nil, fmt.Errorf("render %s: %w", page, err)
	}
	return buf.Bytes(), nil
}
