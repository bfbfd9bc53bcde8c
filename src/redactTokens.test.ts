import { redactTokens } from './redactTokens';

const JWT =
  'eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.eyJzdWIiOiJhbGljZSIsImV4cCI6MX0.c2lnbmF0dXJlLXNpZ25hdHVyZQ';
const UNSIGNED_JWT = 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSJ9.';
const JWE =
  'eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.OKOawDo13gRp2ojaHV7LFpZcgV7T6DVZKTyKOMTYUmKoTCVJRgckCL9kiMT03JGe.48V1_ALb6US04U3b.5eym8TW_c8SuK0ltJ3rpYIzOeDQz7TALvtu6UG9oMo4vpzs9tX_EFShS8iB7j6ji.XFBoMYUZodetZdvTiFvSkQ';

describe('redactTokens', () => {
  it.each([
    ['a JWT', `refresh failed: ${JWT}`, 'refresh failed: [redacted]'],
    ['an unsigned JWT', `got ${UNSIGNED_JWT} back`, 'got [redacted] back'],
    ['a JWE, all five parts', `token ${JWE} rejected`, 'token [redacted] rejected'],
    ['a Bearer credential', 'Authorization: Bearer abc123-._~+/=', 'Authorization: Bearer [redacted]'],
    ['a lower-case bearer credential', 'sent bearer opaque-token', 'sent bearer [redacted]'],
    ['an upper-case BEARER credential', 'BEARER OPAQUE', 'BEARER [redacted]'],
    ['a Basic credential', 'Authorization: Basic YWxpY2U6c2VjcmV0', 'Authorization: Basic [redacted]'],
    ['access_token=', 'GET /cb?access_token=opaque123&state=s', 'GET /cb?access_token=[redacted]&state=s'],
    ['id_token=', 'body id_token=abc.def.ghi', 'body id_token=[redacted]'],
    ['refresh_token=', 'grant_type=refresh_token&refresh_token=r-123', 'grant_type=refresh_token&refresh_token=[redacted]'],
    ['code=', 'callback?code=SplxlOBeZQQYbYS6WxSbIA&state=af0', 'callback?code=[redacted]&state=af0'],
    ['a JSON token field', '{"id_token":"opaque","scope":"openid"}', '{"id_token":"[redacted]","scope":"openid"}'],
  ])('removes %s', (_, text, expected) => {
    expect(redactTokens(text)).toBe(expected);
  });

  it.each([
    ['a host name', 'connect ECONNREFUSED backstage.spectrocloud.internal:7007'],
    ['a long host name', 'getaddrinfo ENOTFOUND api.palette-prod.spectrocloud.example.com'],
    ['a dotted Java class name', 'com.spectrocloud.auth.TokenValidationException: invalid_grant'],
    ['a plain sign-in message', 'Login failed, rejected by user'],
    ['an error code in prose', 'the issuer answered with error code 400'],
    ['a URL without credentials', 'POST https://palette.example.com/v1/oidc/tenant/demo/token failed'],
  ])('keeps %s readable', (_, text) => {
    expect(redactTokens(text)).toBe(text);
  });
});
