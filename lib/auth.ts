import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import type { StageSettings } from './stage';

/**
 * Cognito: who the users are. Email is the username; the app client allows the
 * USER_PASSWORD_AUTH flow the API's /auth/token/ uses, and refresh. Roles are the groups
 * `customers` and `agency_admins`; ownership still comes from our database.
 *
 * No self sign-up: Cognito's public SignUp API would let anyone create a user with our client
 * id behind the API's back (a Cognito user without a users row, whose email then answers 409
 * forever). POST /auth/register/ creates users with the admin API under its own IAM role.
 */
export class Auth extends Construct {
  readonly userPool: cognito.UserPool;
  readonly client: cognito.UserPoolClient;

  constructor(scope: Construct, id: string, stage: StageSettings) {
    super(scope, id);
    this.userPool = new cognito.UserPool(this, 'Users', {
      signInAliases: { email: true },
      signInCaseSensitive: false,
      selfSignUpEnabled: false,
      // Lite: the API uses none of Essentials' features (managed login, passwordless, token
      // customisation), and per-MAU pricing makes sign-ins the largest cost at scale
      // (docs/operations.md, "Monthly cost").
      featurePlan: cognito.FeaturePlan.LITE,
      standardAttributes: { email: { required: true, mutable: true }, fullname: { required: false, mutable: true } },
      passwordPolicy: {
        minLength: 8,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: false,
        tempPasswordValidity: Duration.days(3),
      },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      deletionProtection: stage.retainData,
      removalPolicy: stage.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    this.client = this.userPool.addClient('ApiClient', {
      authFlows: { userPassword: true },
      generateSecret: false,
      preventUserExistenceErrors: true,
      accessTokenValidity: Duration.hours(1),
      idTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.days(30),
    });
    for (const group of ['customers', 'agency_admins']) {
      new cognito.CfnUserPoolGroup(this, `Group-${group}`, { userPoolId: this.userPool.userPoolId, groupName: group });
    }
  }
}
