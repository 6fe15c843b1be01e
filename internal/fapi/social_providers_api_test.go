package fapi_test

import (
	"testing"

	"github.com/latchkey/latchkey/internal/config"
	"github.com/latchkey/latchkey/internal/social/socialtest"
)

// Discord: GET /users/@me; its "verified" flag is what proves the email.
func TestSocialDiscordProfile(t *testing.T) {
	h, up := startSocial(t, func(f *socialtest.Fake) config.SocialConnection {
		return config.SocialConnection{Provider: "discord", ClientID: f.ClientID, ClientSecret: f.ClientSecret,
			AuthURL: f.URL + "/authorize", TokenURL: f.URL + "/token", APIURL: f.URL}
	})
	up.fake.Set(func(f *socialtest.Fake) {
		f.DiscordMe = map[string]any{"id": "80351110224678912", "username": "nelly", "global_name": "Nelly Bly",
			"avatar": "8342729096ea3675442027381ff50dfe", "verified": true, "email": "nelly@discord.example"}
	})
	b, res := providerSignIn(t, h, up, "oauth_discord")
	redirectsToApp(t, res, appCallback)
	ext := h.userExternal(b.signedInUserID(t))
	if len(ext) != 1 || ext[0].ProviderUserID != "80351110224678912" || ext[0].EmailAddress != "nelly@discord.example" ||
		!ext[0].EmailAddressVerified || ext[0].FirstName != "Nelly" || ext[0].LastName != "Bly" ||
		ext[0].ImageURL != "https://cdn.discordapp.com/avatars/80351110224678912/8342729096ea3675442027381ff50dfe.png" {
		t.Fatalf("Discord account: %+v", ext)
	}
	if sc := up.fake.LastParams.Get("scope"); sc != "identify email" {
		t.Fatalf("Discord scopes: %q", sc)
	}
}

// X (OAuth 2.0): GET /2/users/me gives no email, so the sign-up that follows
// asks for one (the sign-in becomes transferable, the sign-up is missing it).
func TestSocialXProfileWithoutEmail(t *testing.T) {
	h, up := startSocial(t, func(f *socialtest.Fake) config.SocialConnection {
		return config.SocialConnection{Provider: "x", ClientID: f.ClientID, ClientSecret: f.ClientSecret,
			AuthURL: f.URL + "/authorize", TokenURL: f.URL + "/token", APIURL: f.URL}
	})
	up.fake.Set(func(f *socialtest.Fake) {
		f.XMe = map[string]any{"data": map[string]any{"id": "2244994945", "name": "X Dev", "username": "XDevelopers",
			"profile_image_url": "https://pbs.twimg.com/profile_images/x_normal.jpg"}}
	})
	b, res := providerSignIn(t, h, up, "oauth_x")
	redirectsToApp(t, res, appCallback)
	if sc := up.fake.LastParams.Get("scope"); sc != "users.read tweet.read offline.access" {
		t.Fatalf("X scopes: %q", sc)
	}
	su := b.post("/client/sign_ups", form("transfer", "true")).ok(t).signUp(t)
	if su.Status != "missing_requirements" || !contains(su.MissingFields, "email_address") {
		t.Fatalf("sign-up through X: %+v", su)
	}
}

// A custom OAuth 2.0 provider: the profile comes from its userinfo URL
// through the configured field mapping (dotted paths); only a JSON true
// proves the email.
func TestSocialCustomOAuth2FieldMapping(t *testing.T) {
	h, up := startSocial(t, func(f *socialtest.Fake) config.SocialConnection {
		return config.SocialConnection{Provider: "custom_forge", Type: "oauth2", Name: "Forge", ClientID: f.ClientID,
			ClientSecret: f.ClientSecret, AuthURL: f.URL + "/authorize", TokenURL: f.URL + "/token", UserinfoURL: f.URL + "/api/me",
			Scopes: []string{"profile:read"},
			Claims: map[string]string{"id": "account.id", "email": "account.mail", "email_verified": "account.mail_confirmed",
				"name": "display_name", "image_url": "avatar.url", "username": "handle"}}
	})
	up.fake.Set(func(f *socialtest.Fake) {
		f.CustomMe = map[string]any{"account": map[string]any{"id": 4711, "mail": "Smith@Forge.example", "mail_confirmed": true},
			"display_name": "Agent Smith", "handle": "smith", "avatar": map[string]any{"url": "https://forge.example/a.png"}}
	})
	b, res := providerSignIn(t, h, up, "oauth_custom_forge")
	redirectsToApp(t, res, appCallback)
	ext := h.userExternal(b.signedInUserID(t))
	if len(ext) != 1 || ext[0].Provider != "oauth_custom_forge" || ext[0].ProviderUserID != "4711" ||
		ext[0].EmailAddress != "smith@forge.example" || !ext[0].EmailAddressVerified || ext[0].FirstName != "Agent" ||
		ext[0].LastName != "Smith" || ext[0].Username == nil || *ext[0].Username != "smith" || ext[0].ImageURL != "https://forge.example/a.png" {
		t.Fatalf("custom OAuth 2.0 account: %+v", ext)
	}
	if sc := up.fake.LastParams.Get("scope"); sc != "profile:read" {
		t.Fatalf("custom scopes: %q", sc)
	}

	// "true" as a string is no proof: an existing account with the address
	// is not linked without a code.
	h.createUser("neo@example.com", "correct horse battery")
	up.fake.Set(func(f *socialtest.Fake) {
		f.CustomMe = map[string]any{"account": map[string]any{"id": "neo-1", "mail": "neo@example.com", "mail_confirmed": "true"}}
	})
	b, res = providerSignIn(t, h, up, "oauth_custom_forge")
	redirectsToApp(t, res, appCallback)
	if c := b.client(t); len(c.Sessions) != 0 || c.SignIn == nil || c.SignIn.Status != "needs_first_factor" {
		t.Fatalf("a string email_verified linked at once: %+v", c)
	}
}
