/** Agency inventory (sprint 2): /agency/cars/ and photos. Filled in by the inventory issue. */
export const agencyRoutes = {};
