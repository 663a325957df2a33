import { API_PREFIX } from '#platform/route';
import { endpoint } from '#platform/http';
import { serviceRoutes } from './routes';

const page = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Phuket Rental API reference</title>
  <link rel="stylesheet" href="${API_PREFIX}/docs/assets/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="${API_PREFIX}/docs/assets/swagger-ui-bundle.js"></script>
  <script>
    window.ui = SwaggerUIBundle({ url: '${API_PREFIX}/openapi.json', dom_id: '#swagger-ui', deepLinking: true });
  </script>
</body>
</html>`;

export const handler = endpoint(serviceRoutes.getDocs, async (_request, reply) => reply(200, page, { 'content-type': 'text/html; charset=utf-8' }));
