// Verifies a Sigstore bundle offline with sigstore-js (@sigstore/verify, the library
// npm's own provenance checks use) against a trusted root, for flareo-testkit.
// Usage: node sigstore-js-verify.mjs <bundle.json> <trust.json> <identity> <issuer> [artifact]
// `trust.json` is a ClientTrustConfig (its trustedRoot is used) or a bare TrustedRoot;
// the identity is the certificate's SAN (URI or e-mail), the issuer its OIDC issuer.
// Exit 0 and one JSON line on success; exit 1 and the library's error otherwise.
import fs from "node:fs";
import { bundleFromJSON } from "@sigstore/bundle";
import { TrustedRoot } from "@sigstore/protobuf-specs";
import { Verifier, toSignedEntity, toTrustMaterial } from "@sigstore/verify";

const [bundlePath, trustPath, identity, issuer, artifactPath] = process.argv.slice(2);
try {
  const bundle = bundleFromJSON(JSON.parse(fs.readFileSync(bundlePath, "utf8")));
  const doc = JSON.parse(fs.readFileSync(trustPath, "utf8"));
  const verifier = new Verifier(toTrustMaterial(TrustedRoot.fromJSON(doc.trustedRoot ?? doc)));
  const artifact = artifactPath ? fs.readFileSync(artifactPath) : undefined;
  const signer = verifier.verify(toSignedEntity(bundle, artifact), {
    subjectAlternativeName: identity,
    extensions: { issuer },
  });
  console.log(JSON.stringify({ verified: true, identity: signer.identity.subjectAlternativeName }));
} catch (e) {
  console.error(`${e.name}: ${e.message}${e.code ? ` (${e.code})` : ""}`);
  process.exit(1);
}
