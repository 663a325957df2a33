/** Public search (sprint 3 + geo-search): /cars/, /landmarks/, /agencies/. Filled in by the search issue. */
export const searchRoutes = {};
