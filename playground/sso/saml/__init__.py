"""SAML 2.0 sign-in: djangosaml2's views over pysaml2, with our checks and accounts added
(README "Single sign-on")."""
