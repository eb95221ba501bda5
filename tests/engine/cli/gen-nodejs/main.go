// gen-nodejs: writes the TypeScript SDK of a Pulumi package schema, as `pulumi package gen-sdk --language nodejs`
// (and, with -local, `pulumi package add` in a TypeScript project) writes it.
//
// The CLI generates an SDK through the language host of the SDK's language, and the Go module proxy does not serve
// the Node.js language host (github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3). Its code generator
// is a library of the CLI's own module (github.com/pulumi/pulumi/pkg/v3/codegen/nodejs), so this tool makes the calls
// the CLI and the host make: the CLI binds the schema and sends it to the host as JSON (with SupportPack set by
// `package add`); the host binds it again and calls GeneratePackage as "pulumi-language-nodejs", with no extra files
// and no local dependencies, and writes every file under the output directory.
//
// The engine's schema loader (which resolves references to other packages' schemas) is not here: a schema that
// refers to another package is refused with its name.
//
// Usage: gen-nodejs [-local] SCHEMA.json OUT_DIR
//
//	SCHEMA.json as `pulumi package get-schema` prints it (- for stdin); OUT_DIR is replaced by the SDK, as gen-sdk
//	and `package add` replace theirs.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/blang/semver"
	nodejs "github.com/pulumi/pulumi/pkg/v3/codegen/nodejs"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
)

// noLoader refuses every package reference: the engine would load that package's schema from its plugin.
type noLoader struct{}

func (noLoader) refuse(name string) error {
	return fmt.Errorf("the schema refers to the package %q: gen-nodejs generates SDKs of self-contained schemas only", name)
}

func (l noLoader) LoadPackage(pkg string, _ *semver.Version) (*schema.Package, error) {
	return nil, l.refuse(pkg)
}

func (l noLoader) LoadPackageV2(_ context.Context, d *schema.PackageDescriptor) (*schema.Package, error) {
	return nil, l.refuse(d.Name)
}

func (l noLoader) LoadPackageReference(pkg string, _ *semver.Version) (schema.PackageReference, error) {
	return nil, l.refuse(pkg)
}

func (l noLoader) LoadPackageReferenceV2(
	_ context.Context, d *schema.PackageDescriptor,
) (schema.PackageReference, error) {
	return nil, l.refuse(d.Name)
}

func bind(raw []byte, loader schema.ReferenceLoader) (*schema.Package, error) {
	var spec schema.PackageSpec
	if err := json.Unmarshal(raw, &spec); err != nil {
		return nil, fmt.Errorf("not a package schema: %w", err)
	}
	pkg, diags, err := schema.BindSpec(spec, loader, schema.ValidationOptions{AllowDanglingReferences: true})
	if err != nil {
		return nil, err
	}
	if diags.HasErrors() {
		return nil, errors.Join(diags.Errs()...)
	}
	return pkg, nil
}

func generate(raw []byte, out string, local bool) error {
	loader := schema.NewCachedLoader(noLoader{})
	// The CLI's side (packages.BindSpec, then packages.GenSDK marshals the package for the language host).
	pkg, err := bind(raw, loader)
	if err != nil {
		return err
	}
	pkg.SupportPack = pkg.SupportPack || local // `package add` always sets it
	sent, err := pkg.MarshalJSON()
	if err != nil {
		return err
	}
	// The language host's side (nodeLanguageHost.GeneratePackage).
	pkg, err = bind(sent, loader)
	if err != nil {
		return err
	}
	files, err := nodejs.GeneratePackage("pulumi-language-nodejs", pkg, nil, nil, local, loader)
	if err != nil {
		return err
	}
	// gen-sdk starts from an empty directory.
	if err := os.RemoveAll(out); err != nil {
		return err
	}
	for name, data := range files {
		path := filepath.Join(out, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return err
		}
		if err := os.WriteFile(path, data, 0o600); err != nil {
			return err
		}
	}
	return nil
}

func main() {
	local := flag.Bool("local", false, "the SDK for local use, as `pulumi package add` writes it (gen-sdk --local)")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: gen-nodejs [-local] SCHEMA.json OUT_DIR")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 2 {
		flag.Usage()
		os.Exit(2)
	}
	var raw []byte
	var err error
	if flag.Arg(0) == "-" {
		raw, err = io.ReadAll(os.Stdin)
	} else {
		raw, err = os.ReadFile(flag.Arg(0))
	}
	if err == nil {
		err = generate(raw, flag.Arg(1), *local)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "gen-nodejs: %v\n", err)
		os.Exit(1)
	}
}
