package settings_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/settings"
	"github.com/atomixplatform/atomix/store/memory"
	"github.com/google/go-cmp/cmp"
)

func ptr[T any](v T) *T { return &v }

func fields(err error) []string {
	var e *core.Error
	if !errors.As(err, &e) {
		return nil
	}
	var out []string
	for _, f := range e.Fields {
		out = append(out, f.Field)
	}
	return out
}

func TestValidate(t *testing.T) {
	const tid = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	for _, tc := range []struct {
		name  string
		patch settings.Patch
		want  []string // fields named; nil: valid
	}{
		{"Defaults", settings.Patch{}, nil},
		{"Branding", settings.Patch{Branding: &settings.BrandingPatch{DisplayName: ptr("Acme"), LogoURL: ptr("https://cdn.acme.com/l.svg"), PrimaryColor: ptr("#1A73e8")}}, nil},
		{"BadBranding", settings.Patch{Branding: &settings.BrandingPatch{DisplayName: ptr("a\x00b"), LogoURL: ptr("http://x.com/l.png"), PrimaryColor: ptr("blue")}},
			[]string{"branding.displayName", "branding.logoUrl", "branding.primaryColor"}},
		{"Seats", settings.Patch{Licensing: &settings.LicensingPatch{Seats: ptr(-1)}}, []string{"licensing.seats"}},
		{"OTPBounds", settings.Patch{Identity: &settings.IdentityPatch{OTP: &settings.OTPPatch{Length: ptr(3), LifetimeSeconds: ptr(601)}}},
			[]string{"identity.otp.length", "identity.otp.lifetimeSeconds"}},
		{"OTPEdges", settings.Patch{Identity: &settings.IdentityPatch{OTP: &settings.OTPPatch{Length: ptr(8), LifetimeSeconds: ptr(60)}}}, nil},
		{"NoLoginMethod", settings.Patch{Identity: &settings.IdentityPatch{LoginMethods: &settings.LoginMethodsPatch{Password: ptr(false), OTP: ptr(false)}}},
			[]string{"identity.loginMethods"}},
		{"FederatedWithoutProvider", settings.Patch{Identity: &settings.IdentityPatch{LoginMethods: &settings.LoginMethodsPatch{Federated: ptr(true)}}},
			[]string{"identity.loginMethods.federated"}},
		{"EntraNeedsClientAndTenants", settings.Patch{Identity: &settings.IdentityPatch{Providers: &settings.ProvidersPatch{Entra: &settings.ProviderPatch{Enabled: ptr(true)}}}},
			[]string{"identity.providers.entra.clientId", "identity.providers.entra.allowedTenants"}},
		{"Entra", settings.Patch{Identity: &settings.IdentityPatch{Providers: &settings.ProvidersPatch{Entra: &settings.ProviderPatch{
			Enabled: ptr(true), ClientID: ptr("app"), AllowedTenants: &[]string{" " + tid + " "}}}}}, nil},
		{"EntraBadTenant", settings.Patch{Identity: &settings.IdentityPatch{Providers: &settings.ProvidersPatch{Entra: &settings.ProviderPatch{
			AllowedTenants: &[]string{"common"}, AllowedDomains: &[]string{"x.com"}}}}},
			[]string{"identity.providers.entra.allowedDomains", "identity.providers.entra.allowedTenants[0]"}},
		{"GoogleDomains", settings.Patch{Identity: &settings.IdentityPatch{Providers: &settings.ProvidersPatch{Google: &settings.ProviderPatch{
			Enabled: ptr(true), ClientID: ptr("g"), AllowedDomains: &[]string{"acme.com", "bad domain"}, AllowedTenants: &[]string{tid}}}}},
			[]string{"identity.providers.google.allowedTenants", "identity.providers.google.allowedDomains[1]"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := settings.Default().Apply(tc.patch).Validate()
			got := fields(err)
			slices.Sort(got)
			want := slices.Clone(tc.want)
			slices.Sort(want)
			if tc.want == nil && err != nil || tc.want != nil && (core.ErrorCode(err) != core.Invalid || !slices.Equal(got, want)) {
				t.Errorf("Validate: got %v (fields %v), want fields %v", err, got, want)
			}
		})
	}
}

func TestServiceUpdate(t *testing.T) {
	st := memory.New()
	now := time.Date(2026, 1, 16, 12, 0, 0, 0, time.UTC)
	svc := settings.NewService(st, func() time.Time { return now })
	ctx := context.Background()
	got, err := svc.Get(ctx)
	if err != nil || got.Version != 0 || got.UpdatedAt != nil || !got.Identity.LoginMethods.OTP || got.Identity.OTP.Length != 6 {
		t.Fatalf("Get before any change: got %+v, %v, want the defaults", got, err)
	}
	up, err := svc.Update(ctx, settings.Patch{Branding: &settings.BrandingPatch{DisplayName: ptr("Acme")},
		Identity: &settings.IdentityPatch{OTP: &settings.OTPPatch{Length: ptr(8)}}})
	if err != nil {
		t.Fatalf("Update: got error %v, want nil", err)
	}
	want := settings.Default()
	want.Branding.DisplayName = "Acme"
	want.Identity.OTP.Length = 8
	want.Version = 1
	want.UpdatedAt = &now
	if d := cmp.Diff(want, up); d != "" {
		t.Errorf("Update mismatch (-want +got):\n%s", d)
	}
	if again, _ := settings.NewService(st, nil).Get(ctx); !cmp.Equal(want, again) {
		t.Errorf("Get through another service: got %+v, want %+v", again, want)
	}
	_, err = svc.Update(ctx, settings.Patch{Identity: &settings.IdentityPatch{OTP: &settings.OTPPatch{Length: ptr(12)}}})
	if core.ErrorCode(err) != core.Invalid {
		t.Errorf("an invalid Update: got %v, want core.Invalid", err)
	}
	if got, _ := svc.Get(ctx); got.Version != 1 || got.Identity.OTP.Length != 8 {
		t.Errorf("after a refused Update: got version %d length %d, want 1 and 8", got.Version, got.Identity.OTP.Length)
	}
}

func TestServiceConcurrentUpdates(t *testing.T) {
	svc := settings.NewService(memory.New(), nil)
	const n = 4
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			_, errs[i] = svc.Update(context.Background(), settings.Patch{Licensing: &settings.LicensingPatch{Seats: ptr(i + 1)}})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Update %d: got error %v, want nil", i, err)
		}
	}
	if got, _ := svc.Get(context.Background()); got.Version != n {
		t.Errorf("version after %d updates: got %d, want %d", n, got.Version, n)
	}
}
