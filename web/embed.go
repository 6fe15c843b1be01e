// Package web holds the hosted pages' templates and static assets, embedded
// in the binary so a deployment is one file.
package web

import "embed"

// Templates are the html/template files of the hosted pages.
//
//go:embed templates/*.html
var Templates embed.FS

// Static holds the stylesheet and the browser script apps embed.
//
//go:embed static/*
var Static embed.FS
