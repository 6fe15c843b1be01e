package server_test

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"
	"go.yaml.in/yaml/v3"

	"github.com/latchkey/latchkey/internal/testserver"
)

// The listeners, as api/openapi.yaml names them in x-listener and tags.
const (
	listenerAdmin  = "admin"
	listenerPublic = "public"
)

// anyMethod stands for a route mounted for every method (r.Handle), which
// the document marks with x-any-method on the path item.
const anyMethod = "ANY"

// pathItemKeys are the fields of an OpenAPI 3.1 Path Item that are not
// operations; the rest (bar x- extensions) must be operation methods.
var pathItemKeys = map[string]bool{"$ref": true, "summary": true, "description": true, "servers": true, "parameters": true}

var operationMethods = map[string]bool{
	"get": true, "put": true, "post": true, "delete": true,
	"options": true, "head": true, "patch": true, "trace": true,
}

var pathParam = regexp.MustCompile(`\{[^}]*\}`)

// normalise makes chi and OpenAPI path templates comparable: parameter
// names differ ({userID} vs {user_id}), their positions must not.
func normalise(path string) string { return pathParam.ReplaceAllString(path, "{}") }

// TestOpenAPIMatchesRouter fails when api/openapi.yaml and the routers
// disagree: a route served but not documented, or documented but not served,
// on either listener.
func TestOpenAPIMatchesRouter(t *testing.T) {
	env := testserver.Start(t)
	served := map[string]map[string]bool{
		listenerAdmin:  servedRoutes(t, env.Server.AdminHandler()),
		listenerPublic: servedRoutes(t, env.Server.PublicHandler()),
	}
	documented := documentedRoutes(t, loadSpec(t))

	for _, listener := range []string{listenerAdmin, listenerPublic} {
		var undocumented, unserved []string
		for r := range served[listener] {
			if !documented[listener][r] {
				undocumented = append(undocumented, r)
			}
		}
		for r := range documented[listener] {
			if !served[listener][r] {
				unserved = append(unserved, r)
			}
		}
		slices.Sort(undocumented)
		slices.Sort(unserved)
		if len(undocumented) > 0 {
			t.Errorf("%s listener: served but not in api/openapi.yaml (with x-listener: %s):\n  %s",
				listener, listener, strings.Join(undocumented, "\n  "))
		}
		if len(unserved) > 0 {
			t.Errorf("%s listener: in api/openapi.yaml but not served:\n  %s",
				listener, strings.Join(unserved, "\n  "))
		}
		if len(served[listener]) == 0 {
			t.Errorf("%s listener: the walk found no routes", listener)
		}
	}
}

// TestOpenAPIRefsResolve fails on any $ref in api/openapi.yaml that does not
// point at an existing node of the document.
func TestOpenAPIRefsResolve(t *testing.T) {
	raw := readSpec(t)
	var root yaml.Node
	if err := yaml.Unmarshal(raw, &root); err != nil {
		t.Fatalf("parse api/openapi.yaml: %v", err)
	}
	var doc any
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("parse api/openapi.yaml: %v", err)
	}
	n := 0
	var walk func(*yaml.Node)
	walk = func(node *yaml.Node) {
		if node.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(node.Content); i += 2 {
				k, v := node.Content[i], node.Content[i+1]
				if k.Value == "$ref" && v.Kind == yaml.ScalarNode {
					n++
					if _, err := resolve(doc, v.Value); err != nil {
						t.Errorf("api/openapi.yaml:%d: $ref %q: %v", v.Line, v.Value, err)
					}
				}
			}
		}
		for _, c := range node.Content {
			walk(c)
		}
	}
	walk(&root)
	if n == 0 {
		t.Error("api/openapi.yaml has no $ref at all; is the walk broken?")
	}
}

// servedRoutes returns "METHOD /path" for every route of h, path parameters
// normalised, and "ANY /path" for a route mounted for every method.
func servedRoutes(t *testing.T, h http.Handler) map[string]bool {
	t.Helper()
	routes, ok := h.(chi.Routes)
	if !ok {
		t.Fatalf("handler %T is not a chi router", h)
	}
	all := allMethods(t)
	methods := map[string]map[string]bool{} // path -> methods
	err := chi.Walk(routes, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		if route == "/*" || strings.HasSuffix(route, "/*") {
			return nil // chi's mount catch-all
		}
		p := normalise(route)
		if methods[p] == nil {
			methods[p] = map[string]bool{}
		}
		methods[p][method] = true
		return nil
	})
	if err != nil {
		t.Fatalf("walk routes: %v", err)
	}
	out := map[string]bool{}
	for p, ms := range methods {
		if len(ms) == len(all) && allIn(all, ms) {
			out[anyMethod+" "+p] = true
			continue
		}
		for m := range ms {
			out[m+" "+p] = true
		}
	}
	return out
}

// allMethods is the method set chi reports for a route mounted with Handle.
func allMethods(t *testing.T) []string {
	t.Helper()
	r := chi.NewRouter()
	r.Handle("/", http.NotFoundHandler())
	var out []string
	if err := chi.Walk(r, func(method, _ string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		out = append(out, method)
		return nil
	}); err != nil {
		t.Fatalf("walk: %v", err)
	}
	if len(out) < 2 {
		t.Fatalf("chi reports only %v for a Handle route", out)
	}
	return out
}

func allIn(want []string, got map[string]bool) bool {
	for _, m := range want {
		if !got[m] {
			return false
		}
	}
	return true
}

// documentedRoutes returns, per listener, "METHOD /path" for every operation
// of the document, checking the listener markers and path parameters on the way.
func documentedRoutes(t *testing.T, doc map[string]any) map[string]map[string]bool {
	t.Helper()
	out := map[string]map[string]bool{listenerAdmin: {}, listenerPublic: {}}
	paths, ok := asMap(doc["paths"])
	if !ok || len(paths) == 0 {
		t.Fatal("api/openapi.yaml has no paths")
	}
	for path, rawItem := range paths {
		item, ok := asMap(rawItem)
		if !ok {
			t.Errorf("paths[%s] is not a Path Item", path)
			continue
		}
		anyMeth := item["x-any-method"] == true
		nOps := 0
		for key, rawOp := range item {
			if pathItemKeys[key] || strings.HasPrefix(key, "x-") {
				continue
			}
			if !operationMethods[key] {
				t.Errorf("paths[%s]: %q is not an OpenAPI 3.1 operation method", path, key)
				continue
			}
			nOps++
			op, ok := asMap(rawOp)
			if !ok {
				t.Errorf("%s %s: not an Operation", key, path)
				continue
			}
			where := strings.ToUpper(key) + " " + path
			listeners := listenersOf(t, where, op)
			checkPathParams(t, doc, where, path, item, op)
			method := strings.ToUpper(key)
			if anyMeth {
				method = anyMethod
			}
			for _, l := range listeners {
				out[l][method+" "+normalise(path)] = true
			}
		}
		if nOps == 0 {
			t.Errorf("paths[%s] has no operation", path)
		}
	}
	return out
}

// listenersOf reads x-listener (a name or a list of names) and checks each
// listener is also a tag of the operation.
func listenersOf(t *testing.T, where string, op map[string]any) []string {
	t.Helper()
	var ls []string
	switch v := op["x-listener"].(type) {
	case string:
		ls = []string{v}
	case []any:
		for _, e := range v {
			s, _ := e.(string)
			ls = append(ls, s)
		}
	}
	if len(ls) == 0 {
		t.Errorf("%s: no x-listener (admin, public or a list of both)", where)
	}
	var tags []string
	if raw, ok := op["tags"].([]any); ok {
		for _, e := range raw {
			if s, ok := e.(string); ok {
				tags = append(tags, s)
			}
		}
	}
	var valid []string
	for _, l := range ls {
		if l != listenerAdmin && l != listenerPublic {
			t.Errorf("%s: x-listener %q is neither %q nor %q", where, l, listenerAdmin, listenerPublic)
			continue
		}
		if !slices.Contains(tags, l) {
			t.Errorf("%s: x-listener %q but no tag %q", where, l, l)
		}
		valid = append(valid, l)
	}
	return valid
}

// checkPathParams requires every {name} of the path template to be declared
// as an in: path parameter, on the path item or the operation.
func checkPathParams(t *testing.T, doc map[string]any, where, path string, item, op map[string]any) {
	t.Helper()
	declared := map[string]bool{}
	for _, src := range []any{item["parameters"], op["parameters"]} {
		list, _ := src.([]any)
		for _, p := range list {
			pm, ok := asMap(p)
			if ref, isRef := pm["$ref"].(string); ok && isRef {
				r, err := resolve(doc, ref)
				if err != nil {
					continue // reported by TestOpenAPIRefsResolve
				}
				pm, ok = asMap(r)
			}
			if ok && pm["in"] == "path" {
				name, _ := pm["name"].(string)
				declared[name] = true
			}
		}
	}
	for _, m := range pathParam.FindAllString(path, -1) {
		if name := strings.Trim(m, "{}"); !declared[name] {
			t.Errorf("%s: path parameter %q is not declared (in: path)", where, name)
		}
	}
}

// resolve follows a local JSON pointer ("#/components/schemas/User").
func resolve(doc any, ref string) (any, error) {
	ptr, ok := strings.CutPrefix(ref, "#")
	if !ok {
		return nil, errString("only local references (#/...) are used in this document")
	}
	if ptr == "" {
		return doc, nil
	}
	if !strings.HasPrefix(ptr, "/") {
		return nil, errString("not a JSON pointer")
	}
	cur := doc
	for _, tok := range strings.Split(ptr[1:], "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch c := cur.(type) {
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(c) {
				return nil, errString("no element " + tok)
			}
			cur = c[i]
		default:
			m, ok := asMap(c)
			if !ok {
				return nil, errString("cannot descend into " + tok)
			}
			next, ok := m[tok]
			if !ok {
				return nil, errString("no " + tok)
			}
			cur = next
		}
	}
	return cur, nil
}

type errString string

func (e errString) Error() string { return string(e) }

// asMap accepts both map shapes the YAML decoder produces.
func asMap(v any) (map[string]any, bool) {
	switch m := v.(type) {
	case map[string]any:
		return m, true
	case map[any]any:
		out := make(map[string]any, len(m))
		for k, v := range m {
			out[fmt.Sprint(k)] = v
		}
		return out, true
	}
	return nil, false
}

func specPath(t *testing.T) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return filepath.Join("..", "..", "api", "openapi.yaml")
	}
	return filepath.Join(filepath.Dir(file), "..", "..", "api", "openapi.yaml")
}

func readSpec(t *testing.T) []byte {
	t.Helper()
	raw, err := os.ReadFile(specPath(t))
	if err != nil {
		t.Fatalf("read the OpenAPI document: %v", err)
	}
	return raw
}

func loadSpec(t *testing.T) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := yaml.Unmarshal(readSpec(t), &doc); err != nil {
		t.Fatalf("parse api/openapi.yaml: %v", err)
	}
	if v, _ := doc["openapi"].(string); !strings.HasPrefix(v, "3.1.") {
		t.Errorf("api/openapi.yaml: openapi is %q, want 3.1.x", v)
	}
	return doc
}
