import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as rds from 'aws-cdk-lib/aws-rds';
import { Construct } from 'constructs';
import type { StageSettings } from './stage';

/**
 * The network and the database: a VPC, Aurora PostgreSQL Serverless v2 in its isolated
 * subnets, and RDS Proxy in front for the Lambda functions (many short-lived connections).
 * The proxy requires TLS and IAM authentication, so functions hold no database password.
 */
export class Data extends Construct {
  readonly vpc: ec2.Vpc;
  readonly cluster: rds.DatabaseCluster;
  readonly proxy: rds.DatabaseProxy;
  /** Security group of the functions that reach the database. */
  readonly functionsSecurityGroup: ec2.SecurityGroup;
  readonly databaseName = 'rental';
  readonly databaseUser = 'postgres';

  /** What a function needs to reach the database through RDS Proxy with IAM auth. */
  get clientEnvironment(): Record<string, string> {
    return {
      DB_HOST: this.proxy.endpoint,
      DB_PORT: '5432',
      DB_NAME: this.databaseName,
      DB_USER: this.databaseUser,
      DB_IAM_AUTH: 'true',
    };
  }

  constructor(scope: Construct, id: string, stage: StageSettings) {
    super(scope, id);
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      // Egress for functions in the VPC (Cognito keys, Stripe, SES) goes through NAT.
      natGateways: stage.natGateways,
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC },
        { name: 'app', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
        { name: 'data', subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      ],
      // Photo checks, copies and deletes reach S3 through this free endpoint, not the NAT.
      gatewayEndpoints: { S3: { service: ec2.GatewayVpcEndpointAwsService.S3 } },
    });
    this.functionsSecurityGroup = new ec2.SecurityGroup(this, 'FunctionsSg', {
      vpc: this.vpc,
      description: 'Lambda functions that use the database',
    });

    this.cluster = new rds.DatabaseCluster(this, 'Cluster', {
      engine: rds.DatabaseClusterEngine.auroraPostgres({ version: rds.AuroraPostgresEngineVersion.VER_17_7 }),
      vpc: this.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      writer: rds.ClusterInstance.serverlessV2('writer'),
      readers: stage.databaseReader ? [rds.ClusterInstance.serverlessV2('reader', { scaleWithWriter: true })] : [],
      serverlessV2MinCapacity: stage.minAcu,
      serverlessV2MaxCapacity: stage.maxAcu,
      ...(stage.minAcu === 0 ? { serverlessV2AutoPauseDuration: Duration.minutes(10) } : {}),
      defaultDatabaseName: this.databaseName,
      credentials: rds.Credentials.fromGeneratedSecret(this.databaseUser),
      storageEncrypted: true,
      iamAuthentication: true,
      backup: { retention: Duration.days(stage.backupDays) },
      deletionProtection: stage.retainData,
      removalPolicy: stage.retainData ? RemovalPolicy.SNAPSHOT : RemovalPolicy.DESTROY,
    });

    this.proxy = this.cluster.addProxy('Proxy', {
      vpc: this.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      secrets: [this.cluster.secret!],
      iamAuth: true,
      requireTLS: true,
      securityGroups: [new ec2.SecurityGroup(this, 'ProxySg', { vpc: this.vpc, description: 'RDS Proxy' })],
    });
    for (const sg of this.proxy.connections.securityGroups) {
      sg.addIngressRule(this.functionsSecurityGroup, ec2.Port.tcp(5432), 'functions to RDS Proxy');
    }
    this.cluster.connections.allowDefaultPortFrom(this.proxy, 'RDS Proxy to Aurora');
    // Migrations run against the writer endpoint, not the proxy (advisory locks would pin it).
    this.cluster.connections.allowDefaultPortFrom(this.functionsSecurityGroup, 'migrations to the writer');
  }
}
