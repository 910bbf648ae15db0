/* settings.c: what a logged-in user changes about their account (login required for all).
 *
 * POST /api/v1/user/change_language {language: en|zh}: stored in the account, and the lang
 *   cookie is set, so every page follows it.
 * POST /api/v1/user/change_time_zone {time_zone}: an IANA name of the system's zoneinfo
 *   ("Asia/Shanghai"; tz.h), or "" for the browser's (the starling_tz cookie, else UTC): the
 *   zone every page shows the user's times in. 40004 for any other name.
 * POST /api/v1/user/change_password {password, old_password}: 40100 when old_password is wrong;
 *   every token of the user stops working (the credential generation moves on: auth.h), and
 *   the answer carries a fresh {token} for this client (pages get a new session cookie and CSRF
 *   token), so only the other sessions end. 40900 when another change of the password committed
 *   between reading the hash and writing the new one (nothing changed by this request).
 * POST /api/v1/user/save_info {display_name, banner_url, avatar_url, location, website,
 *   description, dob_year, dob_month, dob_day, is_visible_dob_year, is_visible_dob_month,
 *   is_visible_dob_day}: fields not sent keep their value; each one is checked (lengths, real
 *   dates, http(s) URLs only; banner_url and avatar_url may also be an upload's mediaUrl issued
 *   to this user: lib/social/media.h).
 * GET /settings, POST /settings/{language,time_zone,password,info}: the page and its forms.
 * POST /settings/images (multipart/form-data: avatar and banner files, either or both): each
 *   image chosen is stored as an upload (page_form_image: PNG, JPEG or GIF by its bytes, at most
 *   [media] max_image_bytes) and becomes the profile's avatar or banner. 40005 when neither
 *   file was chosen; 40014, 41300 for a file refused; 40004 with s3 storage (the browser PUTs
 *   the file itself then: upload/sign_image, then save_info). */
#include "config.h"

#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "account.h"
#include "apierr.h"
#include "media.h"
#include "mediaclean.h"
#include "password.h"
#include "tz.h"
#include "user.h"
#include "valid.h"

/* A year: the choice is a preference, not a session. */
#define LANG_COOKIE_MAX_AGE (365L * 24 * 3600)


enum apierr
acct_settings_page(struct ctx *ctx)
{
	json_object *page;
	int rc;

	page = acct_own_profile(ctx, ctx->user_id, &rc);
	if (page == NULL)
		return rc;
	json_object_object_add(page, "title", json_object_new_string(ctx_t(ctx, "settings.title")));
	page_add_words(ctx, page, page_profile_words);
	json_object_object_add(page, "welcome", json_object_new_boolean(params_bool(&ctx->params,
	    "welcome", false)));
	json_object_object_add(page, "justActivated", json_object_new_boolean(
	    params_bool(&ctx->params, "activated", false)));
	json_object_object_add(page, "saved", json_object_new_boolean(params_bool(&ctx->params,
	    "saved", false)));
	ctx_set_data(ctx, page);
	return APIERR_OK;
}

/* After a change the page goes back to the settings; the API answers data, or {}. */
static int
done(struct ctx *ctx, json_object *data)
{
	return page_done(ctx, "/settings?saved=1", data ? data : json_object_new_object());
}

enum apierr
acct_change_language(struct ctx *ctx)
{
	const char *lang = params_str(&ctx->params, "language");

	if (user_set_language(ctx->env, ctx->user_id, lang) < 0)
		return acct_unavailable(ctx);
	ctx_cookie(ctx, "lang", lang, LANG_COOKIE_MAX_AGE);
	return done(ctx, NULL);
}

enum apierr
acct_change_time_zone(struct ctx *ctx)
{
	const char *zone = params_str(&ctx->params, "time_zone");

	if (*zone != '\0' && !tz_valid(zone))
		return ctx_fail(ctx, APIERR_INVALID_PARAM, "time_zone: not a time zone; use a name "
		    "of the tz database such as Europe/London or Asia/Shanghai, or leave it empty "
		    "for your browser's");
	if (user_set_time_zone(ctx->env, ctx->user_id, zone) < 0)
		return acct_unavailable(ctx);
	return done(ctx, NULL);
}

enum apierr
acct_change_password(struct ctx *ctx)
{
	const char *password = params_str(&ctx->params, "password");
	const char *old = params_str(&ctx->params, "old_password");
	struct buf stored = BUF_INIT, hash = BUF_INIT, key = BUF_INIT;
	json_object *data = NULL;
	struct ratelimit per_user = { "password-user",
	    (unsigned)ctx->env->conf.limit_failed_logins_per_user, 900 };
	bool rehash;
	int64_t gen = 0;
	int rc;

	buf_printf(&key, "%llu", (unsigned long long)ctx->user_id);
	if ((rc = acct_check(ctx, "password", valid_password(password, strlen(password)))) ||
	    (rc = acct_limited(ctx, &per_user, buf_cstr(&key),
	    "wrong passwords for this account")))
		goto out;
	rc = user_password_hash(ctx->env, ctx->user_id, &stored, &gen);
	if (rc != 1) {
		rc = acct_unavailable(ctx);
		goto out;
	}
	if (password_verify(old, strlen(old), buf_cstr(&stored),
	    &ctx->env->conf.auth_password_cost, &rehash) != 1) {
		acct_count_failure(ctx, &per_user, buf_cstr(&key));
		rc = ctx_fail(ctx, APIERR_UNAUTHORIZED, "old_password: wrong password");
		goto out;
	}
	if (password_hash(password, strlen(password), &ctx->env->conf.auth_password_cost,
	    &hash) != 0) {
		rc = ctx_fail(ctx, APIERR_INTERNAL, NULL);
		goto out;
	}
	/* Only from the generation whose hash the old password matched: of two changes racing,
	 * the second one checked a hash that is gone, and is refused. */
	switch (user_set_password(ctx->env, ctx->user_id, buf_cstr(&hash), gen)) {
	case 1:
		break;
	case 0:
		rc = ctx_fail(ctx, APIERR_CONFLICT, "the password was changed meanwhile; log in "
		    "again with the new one");
		goto out;
	default:
		rc = acct_unavailable(ctx);
		goto out;
	}
	/* Every token of the old generation is dead, this client's too: give it one of the new. */
	data = json_object_new_object();
	rc = acct_start_session(ctx, ctx->user_id, gen + 1, data);
	if (rc == APIERR_OK) {
		rc = done(ctx, data);
		data = NULL;
	}
out:
	json_object_put(data);
	OPENSSL_cleanse(hash.data, hash.len);
	buf_free(&stored);
	buf_free(&hash);
	buf_free(&key);
	return rc;
}

/* A text field: the new value if sent (checked), else the current one from profile. */
static int
text_field(struct ctx *ctx, json_object *profile, const char *param, const char *json_key,
    size_t max, const char **out)
{
	const char *v = params_str(&ctx->params, param);
	json_object *cur;

	if (v == NULL) {
		*out = json_object_object_get_ex(profile, json_key, &cur) ? json_object_get_string(cur) : "";
		return APIERR_OK;
	}
	*out = v;
	return acct_check(ctx, param, valid_text(v, strlen(v), max, strcmp(param, "description") == 0));
}

static int
url_field(struct ctx *ctx, json_object *profile, const char *param, const char *json_key,
    const char **out)
{
	int rc = text_field(ctx, profile, param, json_key, 255, out);

	if (rc == APIERR_OK && params_str(&ctx->params, param) != NULL && **out != '\0')
		rc = acct_check(ctx, param, valid_http_url(*out, strlen(*out)));
	return rc;
}

/* An image's URL: a url_field, or the mediaUrl of an image uploaded by this user. */
static int
image_field(struct ctx *ctx, json_object *profile, const char *param, const char *json_key,
    const char **out)
{
	const char *v = params_str(&ctx->params, param);
	enum media_kind kind;

	if (v != NULL && media_check_url(ctx->env->media, ctx->user_id, v, strlen(v), &kind) == 0 &&
	    kind == MEDIA_IMAGE) {
		*out = v;
		return APIERR_OK;
	}
	return url_field(ctx, profile, param, json_key, out);
}

static int
int_field(struct ctx *ctx, json_object *profile, const char *param, const char *json_key)
{
	json_object *cur;

	if (params_get(&ctx->params, param) != NULL)
		return (int)params_int(&ctx->params, param, 0);
	return json_object_object_get_ex(profile, json_key, &cur) ? json_object_get_int(cur) : 0;
}

static bool
bool_field(struct ctx *ctx, json_object *profile, const char *param, const char *json_key)
{
	json_object *cur;

	if (params_get(&ctx->params, param) != NULL)
		return params_bool(&ctx->params, param, false);
	return json_object_object_get_ex(profile, json_key, &cur) && json_object_get_boolean(cur);
}

/* Keeps the uploads a profile now shows (lib/social/mediaclean.h): the clean-up never removes them.
 * Called only for URLs sent with this request (a stored one was kept when it was sent). */
static int
keep_image(struct ctx *ctx, const char *url)
{
	int rc = url != NULL && *url ? mediaclean_keep(ctx->env, url) : 0;

	if (rc == MEDIACLEAN_GONE)
		return ctx_fail(ctx, APIERR_MEDIA_MISSING, "media: removed by the clean-up; upload the "
		    "file again");
	return rc == 0 ? APIERR_OK : acct_unavailable(ctx);
}

/* Saves the profile's fields sent (the others keep their value); avatar and banner, when not
 * NULL, are the URLs of images just uploaded, which replace the stored ones. */
static int
save_info(struct ctx *ctx, const char *avatar, const char *banner)
{
	json_object *u = NULL;
	struct user_info in;
	struct tm now;
	time_t t = time(NULL);
	const char *problem;
	int rc = user_get(ctx->env, ctx->user_id, &u);

	if (rc != 1) {
		rc = acct_unavailable(ctx);
		goto out;
	}
	memset(&in, 0, sizeof in);
	if ((rc = text_field(ctx, u, "display_name", "displayName", 50, &in.display_name)) ||
	    (rc = text_field(ctx, u, "location", "location", 30, &in.location)) ||
	    (rc = text_field(ctx, u, "description", "description", 160, &in.description)) ||
	    (rc = url_field(ctx, u, "website", "website", &in.website)) ||
	    (rc = image_field(ctx, u, "banner_url", "bannerUrl", &in.banner_url)) ||
	    (rc = image_field(ctx, u, "avatar_url", "avatarUrl", &in.avatar_url)))
		goto out;
	if (avatar != NULL)
		in.avatar_url = avatar;
	if (banner != NULL)
		in.banner_url = banner;
	if ((rc = keep_image(ctx, avatar ? avatar : params_str(&ctx->params, "avatar_url"))) ||
	    (rc = keep_image(ctx, banner ? banner : params_str(&ctx->params, "banner_url"))))
		goto out;
	in.dob_year = int_field(ctx, u, "dob_year", "dobYear");
	in.dob_month = int_field(ctx, u, "dob_month", "dobMonth");
	in.dob_day = int_field(ctx, u, "dob_day", "dobDay");
	in.visible_year = bool_field(ctx, u, "is_visible_dob_year", "isVisibleDobYear");
	in.visible_month = bool_field(ctx, u, "is_visible_dob_month", "isVisibleDobMonth");
	in.visible_day = bool_field(ctx, u, "is_visible_dob_day", "isVisibleDobDay");
	gmtime_r(&t, &now);
	problem = valid_date_parts(in.dob_year, in.dob_month, in.dob_day, now.tm_year + 1900);
	if (problem != NULL) {
		rc = ctx_fail(ctx, APIERR_INVALID_PARAM, "date of birth: %s", problem);
		goto out;
	}
	if (user_save_info(ctx->env, ctx->user_id, &in) < 0) {
		rc = acct_unavailable(ctx);
		goto out;
	}
	rc = done(ctx, NULL);
out:
	json_object_put(u);
	return rc;
}

enum apierr
acct_save_info(struct ctx *ctx)
{
	return save_info(ctx, NULL, NULL);
}

enum apierr
acct_save_images(struct ctx *ctx)
{
	const struct request_file *avatar = request_file(&ctx->req, "avatar");
	const struct request_file *banner = request_file(&ctx->req, "banner");
	struct buf a = BUF_INIT, b = BUF_INIT;
	int rc;

	if ((avatar == NULL || avatar->len == 0) && (banner == NULL || banner->len == 0)) {
		rc = ctx_fail(ctx, APIERR_MISSING_PARAM, "avatar or banner: choose an image file");
		goto out;
	}
	if ((rc = page_form_image(ctx, avatar, &a)) != APIERR_OK ||
	    (rc = page_form_image(ctx, banner, &b)) != APIERR_OK)
		goto out;
	rc = save_info(ctx, a.len ? buf_cstr(&a) : NULL, b.len ? buf_cstr(&b) : NULL);
out:
	buf_free(&a);
	buf_free(&b);
	return rc;
}
