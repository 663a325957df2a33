/**
 * The demo accounts dev/demo-data.ts registers, both with this password: the token example
 * signs in as the traveller, and the document's description and the sign-in route name both.
 * A module of its own, so a routes file can name them without bundling the examples.
 */
export const DEMO_SIGN_IN = { traveller: 'demo.traveller@example.com', agencyAdmin: 'demo.agency@example.com', password: 'Phuket-2027' } as const;
