// Command cert-manager-controller runs cert-manager's controllers, built from the pinned
// github.com/cert-manager/cert-manager module, out of cluster against a kubeconfig: the issuing data path of
// Portico's traffic tests and demo (scripts/kube-bins.sh builds it; tools/cert-manager/README.md says why this
// main is ours). Upstream's binary lives in the nested module cmd/controller, which is absent from the module zip
// and unknown to the module proxy; every controller it starts is registered by a package of the main module
// (pkg/controller/...), so this main builds their shared context with pkg/controller.NewContextFactory, constructs
// the chosen controllers, starts the informers they asked for and runs them until SIGINT/SIGTERM.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"k8s.io/klog/v2"

	controllerpkg "github.com/cert-manager/cert-manager/pkg/controller"
	logf "github.com/cert-manager/cert-manager/pkg/logs"

	// Controllers register themselves with pkg/controller in init().
	_ "github.com/cert-manager/cert-manager/pkg/controller/acmechallenges"
	_ "github.com/cert-manager/cert-manager/pkg/controller/acmeorders"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificaterequests/acme"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificaterequests/approver"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificaterequests/ca"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificaterequests/selfsigned"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/issuing"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/keymanager"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/readiness"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/requestmanager"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/revisionmanager"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/trigger"
	_ "github.com/cert-manager/cert-manager/pkg/controller/clusterissuers"
	_ "github.com/cert-manager/cert-manager/pkg/controller/issuers"
	// Issuer kinds register themselves with pkg/issuer in init().
	_ "github.com/cert-manager/cert-manager/pkg/issuer/acme"
	_ "github.com/cert-manager/cert-manager/pkg/issuer/ca"
	_ "github.com/cert-manager/cert-manager/pkg/issuer/selfsigned"
)

// defaultControllers are upstream's default set minus the ingress/gateway shims (Portico writes Certificates
// itself) and the Vault/Venafi issuers (no such issuers here).
var defaultControllers = []string{
	"issuers", "clusterissuers",
	"certificates-trigger", "certificates-key-manager", "certificates-request-manager",
	"certificates-readiness", "certificates-issuing", "certificates-revision-manager",
	"certificaterequests-approver",
	"certificaterequests-issuer-ca", "certificaterequests-issuer-selfsigned", "certificaterequests-issuer-acme",
	"orders", "challenges",
}

func main() {
	kubeconfig := flag.String("kubeconfig", "", "kubeconfig of the API server to work against")
	clusterResourceNamespace := flag.String("cluster-resource-namespace", "cert-manager",
		"namespace of the Secrets that ClusterIssuers refer to")
	namespace := flag.String("namespace", "", "namespace to watch (all when empty)")
	controllers := flag.String("controllers", strings.Join(defaultControllers, ","), "controllers to run")
	workers := flag.Int("workers", 5, "workers per controller")
	leaderElect := flag.Bool("leader-elect", false, "only false is supported: one process, no leader election")
	minBackoff := flag.Duration("certificate-request-minimum-backoff-duration", time.Hour,
		"first retry delay after a failed CertificateRequest (upstream default 1h)")
	klog.InitFlags(nil)
	flag.Parse()
	if *leaderElect {
		fmt.Fprintln(os.Stderr, "cert-manager-controller: --leader-elect=true is not supported by this build")
		os.Exit(2)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := klog.Background().WithName("cert-manager-controller")
	ctx = logf.NewContext(ctx, log)

	opts := controllerpkg.ContextOptions{
		Kubeconfig:         *kubeconfig,
		KubernetesAPIQPS:   50,
		KubernetesAPIBurst: 100,
		Namespace:          *namespace,
		IssuerOptions:      controllerpkg.IssuerOptions{ClusterResourceNamespace: *clusterResourceNamespace},
		ACMEOptions: controllerpkg.ACMEOptions{
			DNS01CheckRetryPeriod: 10 * time.Second,
		},
		CertificateOptions: controllerpkg.CertificateOptions{
			CertificateRequestMinimumBackoffDuration: *minBackoff,
			CertificateRequestMaximumBackoffDuration: 32 * time.Hour,
		},
		SchedulerOptions: controllerpkg.SchedulerOptions{MaxConcurrentChallenges: 60},
	}
	factory, err := controllerpkg.NewContextFactory(ctx, opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, "cert-manager-controller:", err)
		os.Exit(1)
	}

	known := controllerpkg.Known()
	var names []string
	for _, name := range strings.Split(*controllers, ",") {
		if name = strings.TrimSpace(name); name != "" {
			names = append(names, name)
		}
	}
	runners := map[string]controllerpkg.Interface{}
	for _, name := range names {
		constructor, ok := known[name]
		if !ok {
			var all []string
			for k := range known {
				all = append(all, k)
			}
			sort.Strings(all)
			fmt.Fprintf(os.Stderr, "cert-manager-controller: unknown controller %q (known: %s)\n", name, strings.Join(all, ", "))
			os.Exit(2)
		}
		runner, err := constructor(factory)
		if err != nil {
			fmt.Fprintf(os.Stderr, "cert-manager-controller: building %s: %v\n", name, err)
			os.Exit(1)
		}
		runners[name] = runner
	}

	// Every Context built by the factory shares its informer factories; start the informers the controllers
	// asked for now that all of them are constructed.
	shared, err := factory.Build()
	if err != nil {
		fmt.Fprintln(os.Stderr, "cert-manager-controller:", err)
		os.Exit(1)
	}
	shared.KubeSharedInformerFactory.Start(ctx.Done())
	shared.SharedInformerFactory.Start(ctx.Done())
	shared.HTTP01ResourceMetadataInformersFactory.Start(ctx.Done())
	if shared.GatewaySolverEnabled {
		shared.GWShared.Start(ctx.Done())
	}

	log.Info("starting controllers", "controllers", names)
	var wg sync.WaitGroup
	for name, runner := range runners {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := runner.Run(*workers, ctx); err != nil {
				log.Error(err, "controller stopped", "controller", name)
				stop()
			}
		}()
	}
	<-ctx.Done()
	wg.Wait()
}
