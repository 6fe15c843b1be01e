package fapi

import "github.com/latchkey/latchkey/internal/signin"

// phoneVerificationOf is the sign-up's verifications.phone_number: nil
// without a number, otherwise its phone_code verification and next step.
func phoneVerificationOf(v signin.SignUpView) *verificationJSON {
	su := v.SignUp
	if su.PhoneNumber == nil {
		return nil
	}
	pv := verificationOf(v.PhoneVerification)
	if pv == nil {
		pv = &verificationJSON{Object: "verification", Status: "unverified", Strategy: signin.StrategyPhoneCode, NextStep: "needs_prepare"}
	}
	if su.PhoneVerifiedAt != nil {
		pv.Status, pv.NextStep = "verified", ""
	} else if pv.Status == "unverified" && v.PhoneVerification != nil {
		pv.NextStep = "needs_attempt"
	}
	return pv
}
