// pulumi-language-python: the Python language host the real engine starts for this project's lab stack.
//
// The Go module proxy serves the Pulumi CLI (github.com/pulumi/pulumi/pkg/v3) but not the module of the upstream
// Python language host (github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3), so this host is built
// instead. It speaks the same LanguageRuntime protocol on the same terms: the engine starts it with the engine's
// address, it prints its port, and it runs the program through the SDK's own `pulumi-language-python-exec` (installed
// beside it) with the project's virtualenv, resolved by the SDK's python toolchain. Python policy packs run through
// RunPlugin with `python -m pulumi.policy`, behind the SDK's policy proxy, as upstream does. Code generation, packing
// and linking are not offered (the engine does not use them for preview, up, refresh or destroy).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	sdk "github.com/pulumi/pulumi/sdk/v3"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/cmdutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/contract"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/logging"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/version"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"github.com/pulumi/pulumi/sdk/v3/python/toolchain"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"
)

const (
	execScript = "pulumi-language-python-exec"
	// The exit code with which pulumi-language-python-exec says it has already shown the user what went wrong.
	exitAfterUserMessage = 32
)

func main() {
	showVersion := flag.Bool("version", false, "print the version and exit")
	flag.String("tracing", "", "accepted for compatibility; tracing is not emitted")
	// Engines built from an older SDK (the Pulumi YAML language host's, when it loads a Python plugin's schema) pass
	// the runtime options as flags too; each request's program info carries them, and wins.
	flag.StringVar(&flagOptions.virtualenv, "virtualenv", "", "the virtualenv, when a request does not say")
	flag.StringVar(&flagOptions.toolchain, "toolchain", "", "the toolchain (pip, poetry, uv), when a request does not say")
	flag.String("typechecker", "", "accepted for compatibility; no type checker is run")
	flag.String("root", "", "accepted for compatibility; each request names its root")
	flag.Parse()
	if *showVersion {
		fmt.Println(version.Version)
		return
	}
	logging.InitLogging(false, 0, false)

	self, err := os.Executable()
	if err != nil {
		cmdutil.Exit(fmt.Errorf("could not determine this executable: %w", err))
	}
	executor := filepath.Join(filepath.Dir(self), execScript)
	if _, err := os.Stat(executor); err != nil {
		cmdutil.Exit(fmt.Errorf("missing executor %s: %w", executor, err))
	}

	var engineAddress string
	if args := flag.Args(); len(args) > 0 {
		engineAddress = args[0]
	}

	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt)
	stop := make(chan bool)
	go func() {
		<-ctx.Done()
		cancel()
		close(stop)
	}()
	if engineAddress != "" {
		if err := rpcutil.Healthcheck(ctx, engineAddress, 5*time.Minute, cancel); err != nil {
			cmdutil.Exit(fmt.Errorf("could not start the health check: %w", err))
		}
	}

	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: stop,
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, newHost(executor, engineAddress))
			return nil
		},
	})
	if err != nil {
		cmdutil.Exit(fmt.Errorf("could not start the language host: %w", err))
	}
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		cmdutil.Exit(fmt.Errorf("language host stopped serving: %w", err))
	}
}

type host struct {
	pulumirpc.UnimplementedLanguageRuntimeServer

	executor      string
	engineAddress string
	cancelCtx     context.Context
	cancel        context.CancelFunc
}

func newHost(executor, engineAddress string) *host {
	ctx, cancel := context.WithCancel(context.Background())
	return &host{executor: executor, engineAddress: engineAddress, cancelCtx: ctx, cancel: cancel}
}

// flagOptions holds the runtime options given as flags (see main).
var flagOptions struct{ virtualenv, toolchain string }

// options reads the project's runtime options (virtualenv, toolchain) as upstream does; a plugin defaults to `venv`.
func options(info *pulumirpc.ProgramInfo, isPlugin bool) (toolchain.PythonOptions, error) {
	opts := toolchain.PythonOptions{Root: info.RootDirectory, ProgramDir: info.ProgramDirectory}
	given := info.GetOptions().AsMap()
	if _, ok := given["virtualenv"]; !ok && flagOptions.virtualenv != "" {
		given["virtualenv"] = flagOptions.virtualenv
	}
	if _, ok := given["toolchain"]; !ok && flagOptions.toolchain != "" {
		given["toolchain"] = flagOptions.toolchain
	}
	if v, ok := given["virtualenv"]; ok {
		s, isString := v.(string)
		if !isString {
			return opts, errors.New("virtualenv option must be a string")
		}
		opts.Virtualenv = s
	}
	if v, ok := given["toolchain"]; ok {
		switch v {
		case "pip":
			opts.Toolchain = toolchain.Pip
		case "poetry":
			opts.Toolchain = toolchain.Poetry
		case "uv":
			opts.Toolchain = toolchain.Uv
		default:
			return opts, fmt.Errorf("unsupported toolchain option: %v", v)
		}
	}
	if _, ok := given["typechecker"]; ok {
		return opts, errors.New("the typechecker option is not supported by this language host")
	}
	if isPlugin && (opts.Toolchain == toolchain.Pip || opts.Toolchain == toolchain.Auto) && opts.Virtualenv == "" {
		opts.Virtualenv = "venv"
	}
	return opts, nil
}

// toolchainOf resolves the Python toolchain (pip, poetry or uv, with its virtualenv) of a program or plugin.
func toolchainOf(info *pulumirpc.ProgramInfo, isPlugin bool) (toolchain.Toolchain, toolchain.PythonOptions, error) {
	opts, err := options(info, isPlugin)
	if err != nil {
		return nil, opts, err
	}
	tc, err := toolchain.ResolveToolchain(opts)
	return tc, opts, err
}

func (h *host) Handshake(
	ctx context.Context, req *pulumirpc.LanguageHandshakeRequest,
) (*pulumirpc.LanguageHandshakeResponse, error) {
	h.engineAddress = req.EngineAddress
	hctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt)
	if err := rpcutil.Healthcheck(hctx, h.engineAddress, 5*time.Minute, cancel); err != nil {
		return nil, fmt.Errorf("could not start the health check: %w", err)
	}
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *host) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version.Version}, nil
}

// GetRequiredPackages names no package: a provider plugin is loaded when a resource registers with it, so a stack
// needs the plugins of the providers it really uses, and no other.
func (h *host) GetRequiredPackages(
	ctx context.Context, req *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	tc, _, err := toolchainOf(req.Info, false)
	if err != nil {
		return nil, err
	}
	if err := tc.ValidateVenv(ctx); err != nil {
		return nil, err
	}
	return &pulumirpc.GetRequiredPackagesResponse{}, nil
}

func (h *host) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	if h.engineAddress == "" {
		return nil, errors.New("the engine's address is unknown: Handshake must come before Run")
	}
	tc, _, err := toolchainOf(req.Info, false)
	if err != nil {
		return nil, err
	}
	if err := tc.ValidateVenv(ctx); err != nil {
		return nil, err
	}

	args := []string{h.executor}
	add := func(k, v string) {
		if v != "" {
			args = append(args, "--"+k, v)
		}
	}
	add("monitor", req.GetMonitorAddress())
	add("engine", h.engineAddress)
	add("project", req.GetProject())
	add("root_directory", req.GetInfo().RootDirectory)
	add("stack", req.GetStack())
	add("pwd", req.GetPwd())
	add("dry_run", strconv.FormatBool(req.GetDryRun()))
	add("parallel", strconv.Itoa(int(req.GetParallel())))
	add("organization", req.GetOrganization())
	args = append(args, req.Info.EntryPoint)
	args = append(args, req.GetArgs()...)

	runCtx, runCancel := context.WithCancel(h.cancelCtx)
	defer runCancel()
	context.AfterFunc(ctx, runCancel)
	cmd, err := tc.Command(runCtx, args...)
	if err != nil {
		return nil, err
	}
	cmd.Cancel = func() error {
		if err := cmd.Process.Signal(os.Interrupt); err != nil {
			return cmd.Process.Kill()
		}
		return nil
	}
	cmd.WaitDelay = 5 * time.Second
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr

	env := cmd.Env
	if env == nil {
		env = os.Environ()
	}
	if cfg := req.GetConfig(); cfg != nil {
		raw, err := json.Marshal(cfg)
		if err != nil {
			return nil, fmt.Errorf("failed to serialize configuration: %w", err)
		}
		env = append(env, "PULUMI_CONFIG="+string(raw))
	}
	secretKeys := req.GetConfigSecretKeys()
	if secretKeys == nil {
		secretKeys = []string{}
	}
	raw, err := json.Marshal(secretKeys)
	if err != nil {
		return nil, fmt.Errorf("failed to serialize configuration secret keys: %w", err)
	}
	cmd.Env = append(env, "PULUMI_CONFIG_SECRET_KEYS="+string(raw))

	if err := cmd.Run(); err != nil {
		contract.IgnoreError(os.Stdout.Sync())
		contract.IgnoreError(os.Stderr.Sync())
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			if status, ok := exitErr.Sys().(syscall.WaitStatus); ok {
				if status.ExitStatus() == exitAfterUserMessage {
					return &pulumirpc.RunResponse{Bail: true}, nil
				}
				return &pulumirpc.RunResponse{
					Error: fmt.Sprintf("program exited with non-zero exit code: %d", status.ExitStatus()),
				}, nil
			}
			return &pulumirpc.RunResponse{Error: fmt.Sprintf("program exited unexpectedly: %v", exitErr)}, nil
		}
		return &pulumirpc.RunResponse{
			Error: fmt.Sprintf("problem executing program (could not run language executor): %v", err),
		}, nil
	}
	return &pulumirpc.RunResponse{}, nil
}

// InstallDependencies makes the virtualenv and installs requirements.txt into it, as upstream does. A plugin whose
// virtualenv is already there (the checkout of this project, served as the component provider) is used as it is:
// the engine asks again each time it loads the plugin, and `python -m venv` refuses a virtualenv that is a symlink.
func (h *host) InstallDependencies(
	req *pulumirpc.InstallDependenciesRequest, server pulumirpc.LanguageRuntime_InstallDependenciesServer,
) error {
	tc, opts, err := toolchainOf(req.Info, req.IsPlugin)
	if err != nil {
		return err
	}
	closer, stdout, stderr, err := rpcutil.MakeInstallDependenciesStreams(server, req.IsTerminal)
	if err != nil {
		return err
	}
	defer closer.Close()
	if req.IsPlugin && opts.Virtualenv != "" && tc.ValidateVenv(server.Context()) == nil {
		fmt.Fprintf(stdout, "The plugin's virtualenv %s is ready\n", opts.Virtualenv)
		return closer.Close()
	}
	if err := tc.InstallDependencies(server.Context(), req.Info.ProgramDirectory, req.UseLanguageVersionTools,
		true, stdout, stderr); err != nil {
		return err
	}
	return closer.Close()
}

func (h *host) RuntimeOptionsPrompts(
	context.Context, *pulumirpc.RuntimeOptionsRequest,
) (*pulumirpc.RuntimeOptionsResponse, error) {
	return &pulumirpc.RuntimeOptionsResponse{}, nil
}

func (h *host) About(ctx context.Context, req *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	opts := toolchain.PythonOptions{Toolchain: toolchain.Pip}
	tc, err := toolchain.ResolveToolchain(opts)
	if req != nil && req.Info != nil {
		tc, opts, err = toolchainOf(req.Info, false)
	}
	if err != nil {
		return nil, err
	}
	info, err := tc.About(ctx)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.AboutResponse{
		Executable: info.PythonExecutable,
		Version:    info.PythonVersion.String(),
		Metadata: map[string]string{
			"toolchain":        toolchain.Name(opts.Toolchain),
			"toolchainVersion": info.ToolchainVersion.String(),
		},
	}, nil
}

func (h *host) GetProgramDependencies(
	ctx context.Context, req *pulumirpc.GetProgramDependenciesRequest,
) (*pulumirpc.GetProgramDependenciesResponse, error) {
	tc, _, err := toolchainOf(req.Info, false)
	if err != nil {
		return nil, err
	}
	packages, err := tc.ListPackages(ctx, req.TransitiveDependencies)
	if err != nil {
		return nil, fmt.Errorf("failed to get python dependencies: %w", err)
	}
	deps := make([]*pulumirpc.DependencyInfo, len(packages))
	for i, p := range packages {
		deps[i] = &pulumirpc.DependencyInfo{Name: p.Name, Version: p.Version}
	}
	return &pulumirpc.GetProgramDependenciesResponse{Dependencies: deps}, nil
}

// RunPlugin runs a Python plugin: a policy pack (`python -u -m pulumi.policy <args> <pack dir>` in the pack's
// directory, behind the SDK's policy proxy, which hands the stack's configuration to the pack's environment), or any
// other plugin's `__main__.py`.
func (h *host) RunPlugin(req *pulumirpc.RunPluginRequest, server pulumirpc.LanguageRuntime_RunPluginServer) error {
	ctx := server.Context()
	analyzer := req.Kind == string(apitype.AnalyzerPlugin)
	tc, _, err := toolchainOf(req.Info, !analyzer)
	if err != nil {
		return err
	}
	var args []string
	if analyzer {
		args = append([]string{"-u", "-m", "pulumi.policy"}, req.Args...)
		args = append(args, req.Info.ProgramDirectory)
	} else {
		args = append([]string{req.Info.ProgramDirectory}, req.Args...)
	}
	cmd, err := tc.Command(ctx, args...)
	if err != nil {
		return err
	}
	closer, stdout, stderr, err := rpcutil.MakeRunPluginStreams(server, false)
	if err != nil {
		return err
	}
	defer closer.Close()

	var proxy *sdk.PolicyProxy
	if analyzer {
		cmd.Dir = req.Info.ProgramDirectory
		proxy, stdout, err = sdk.NewPolicyProxy(ctx, stdout)
		if err != nil {
			return fmt.Errorf("could not start the policy pack proxy: %w", err)
		}
		cfg, err := proxy.AwaitConfiguration(ctx)
		if err != nil {
			return fmt.Errorf("could not get the stack configuration: %w", err)
		}
		if cfg != nil {
			set := func(k, v string) {
				if v != "" {
					cmd.Env = append(cmd.Env, k+"="+v)
				}
			}
			set("PULUMI_ORGANIZATION", cfg.Organization)
			set("PULUMI_PROJECT", cfg.Project)
			set("PULUMI_STACK", cfg.Stack)
			set("PULUMI_DRY_RUN", strconv.FormatBool(cfg.DryRun))
			if cfg.Config != nil {
				raw, err := json.Marshal(cfg.Config)
				if err != nil {
					return fmt.Errorf("could not marshal the stack configuration: %w", err)
				}
				set("PULUMI_CONFIG", string(raw))
			}
		}
	} else {
		cmd.Dir = req.Pwd
	}
	cmd.Env = append(cmd.Env, req.Env...)
	cmd.Stdout, cmd.Stderr = stdout, stderr

	if err := cmd.Start(); err != nil {
		return fmt.Errorf("problem executing plugin program (could not run language executor): %w", err)
	}
	if proxy != nil {
		if err := proxy.Attach(ctx, cmd); err != nil {
			return fmt.Errorf("could not attach the policy pack proxy: %w", err)
		}
		return closer.Close()
	}
	if err := cmd.Wait(); err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			if status, ok := exitErr.Sys().(syscall.WaitStatus); ok {
				return server.Send(&pulumirpc.RunPluginResponse{
					Output: &pulumirpc.RunPluginResponse_Exitcode{Exitcode: int32(status.ExitStatus())},
				})
			}
		}
		return fmt.Errorf("plugin exited unexpectedly: %w", err)
	}
	return closer.Close()
}

func (h *host) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	h.cancel()
	return &emptypb.Empty{}, nil
}
