// An OpenID Connect issuer for Flareo's tests: axa-group's oauth2-mock-server on
// 127.0.0.1:<port> with a fresh RS256 key, issuer URL http://127.0.0.1:<port>.
// Test knobs on the client_credentials grant: `sub` sets the subject and
// `lifetime` (seconds, may be negative) the expiry of the issued token; `email`
// and `email_verified` ("true"/"false") add those claims.
import { OAuth2Server, Events } from 'oauth2-mock-server';

const port = Number(process.argv[2]);
const server = new OAuth2Server();
await server.issuer.keys.generate('RS256');
await server.start(port, '127.0.0.1');
server.issuer.url = `http://127.0.0.1:${port}`;
server.service.on(Events.BeforeTokenSigning, (token, req) => {
  if (req.body.sub) token.payload.sub = req.body.sub;
  if (req.body.email) {
    token.payload.email = req.body.email;
    token.payload.email_verified = req.body.email_verified === 'true';
  }
  if (req.body.lifetime !== undefined) {
    token.payload.exp = Math.floor(Date.now() / 1000) + Number(req.body.lifetime);
  }
});
console.log(`ready ${server.issuer.url}`);
