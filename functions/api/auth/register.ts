import { registerUser } from '#core/users/registration';
import { cognitoIdentity } from '#platform/cognito';
import { endpoint } from '#platform/http';
import { authRoutes } from './routes';

export const handler = endpoint(authRoutes.register, async ({ body, db }, reply) => {
  const registered = await registerUser(db, cognitoIdentity, {
    email: body.email,
    password: body.password,
    fullName: body.full_name,
    role: body.role,
    agency: body.agency,
  });
  return reply(201, registered);
});
