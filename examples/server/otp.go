package main

import (
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"

	"github.com/atomixplatform/atomix/identity"
)

// otpConfig returns the phone OTP configuration: codes go to the SMS
// gateway of ATOMIX_SMS_WEBHOOK_URL (signed with ATOMIX_SMS_WEBHOOK_SECRET)
// or, by default, to the log, one line with the phone and the code, so
// that a developer can sign in locally. ATOMIX_OTP_COUNTRIES
// (comma-separated country calling codes, such as "90,44") limits the
// numbers that may get a code.
func otpConfig(getenv func(string) string, log *slog.Logger) (identity.OTPConfig, error) {
	var c identity.OTPConfig
	for v := range strings.SplitSeq(getenv("ATOMIX_OTP_COUNTRIES"), ",") {
		if v = strings.TrimPrefix(strings.TrimSpace(v), "+"); v == "" {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			return c, fmt.Errorf("ATOMIX_OTP_COUNTRIES: %q is not a country calling code", v)
		}
		c.CountryCodes = append(c.CountryCodes, n)
	}
	url, secret := getenv("ATOMIX_SMS_WEBHOOK_URL"), getenv("ATOMIX_SMS_WEBHOOK_SECRET")
	switch {
	case url != "" && len(secret) < 16:
		return c, errors.New("ATOMIX_SMS_WEBHOOK_URL needs ATOMIX_SMS_WEBHOOK_SECRET of at least 16 characters to sign its requests")
	case url != "":
		c.Sender = identity.WebhookSender{URL: url, Secret: []byte(secret)}
		log.Info("otp", "sender", "webhook", "url", url)
	default:
		c.Sender = identity.LogSender{Logger: log}
		log.Warn("otp: codes are written to this log (set ATOMIX_SMS_WEBHOOK_URL to send SMS)")
	}
	return c, nil
}

// federatedConfig returns the federated login configuration: the
// providers' client IDs and allow-lists live in the settings (PATCH
// /v1/settings); ATOMIX_GOOGLE_ISSUER and ATOMIX_ENTRA_BASE replace the
// providers' addresses, for a local test issuer.
func federatedConfig(getenv func(string) string) identity.FederatedConfig {
	return identity.FederatedConfig{GoogleIssuer: getenv("ATOMIX_GOOGLE_ISSUER"), EntraBase: getenv("ATOMIX_ENTRA_BASE")}
}
