import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import { Construct } from 'constructs';
import { DATABASE_USERS, type DatabaseAccess } from '../functions/platform/route';
import type { StageSettings } from './stage';

/** The VPC's address range (CDK's default, spelled out so security group rules can name it). */
export const VPC_CIDR = '10.0.0.0/16';

/**
 * The network and the database: a VPC, Aurora PostgreSQL Serverless v2 in its isolated
 * subnets, and RDS Proxy in front for the Lambda functions (many short-lived connections).
 * The proxy requires TLS and IAM authentication end to end, so neither the functions nor the
 * proxy hold a database password; functions log in as rental_reader or rental_app (created by
 * the migrations), never as the master user, which only the migration job uses.
 */
export class Data extends Construct {
  readonly vpc: ec2.Vpc;
  readonly cluster: rds.DatabaseCluster;
  readonly proxy: rds.DatabaseProxy;
  /** Security group of the functions that reach the database. */
  readonly functionsSecurityGroup: ec2.SecurityGroup;
  /** Set in stages whose NAT is an instance (dev), so tests and nag rules can find it. */
  readonly natInstanceProvider?: ec2.NatInstanceProviderV2;
  readonly databaseName = 'rental';
  /** The owner: the cluster secret's user, for the migration job alone (writer endpoint, not the proxy). */
  readonly masterUser = 'postgres';
  /** The users functions log in as through the proxy, by access (functions/platform/route.ts). */
  readonly databaseUsers = DATABASE_USERS;

  /** What a function needs to reach the database through RDS Proxy with IAM auth, as the access's user. */
  clientEnvironment(access: DatabaseAccess): Record<string, string> {
    return {
      DB_HOST: this.proxy.endpoint,
      DB_PORT: '5432',
      DB_NAME: this.databaseName,
      DB_USER: this.databaseUsers[access],
      DB_IAM_AUTH: 'true',
    };
  }

  /**
   * Where every function that reaches the database runs: the VPC's private subnets with egress
   * (for the AWS APIs and Stripe), in the functions' security group, which the proxy admits.
   */
  functionNetwork(): { vpc: ec2.IVpc; vpcSubnets: ec2.SubnetSelection; securityGroups: ec2.ISecurityGroup[] } {
    return { vpc: this.vpc, vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }, securityGroups: [this.functionsSecurityGroup] };
  }

  /** Lets a function connect through the proxy as the access's user, and as no other. */
  grantConnect(grantee: iam.IGrantable, access: DatabaseAccess): void {
    this.proxy.grantConnect(grantee, this.databaseUsers[access]);
  }

  constructor(scope: Construct, id: string, stage: StageSettings) {
    super(scope, id);
    // Egress for functions in the VPC (Stripe, SES, SQS, Secrets Manager, Cognito's keys) goes
    // through NAT: a managed gateway per AZ in prod; in dev one t4g.nano instance (~USD 4 a
    // month instead of ~43), at the price of a single point of failure nobody pages for.
    if (stage.nat.kind === 'instance') {
      this.natInstanceProvider = ec2.NatProvider.instanceV2({
        instanceType: new ec2.InstanceType(stage.nat.instanceType),
        machineImage: ec2.MachineImage.latestAmazonLinux2023({ cpuType: ec2.AmazonLinuxCpuType.ARM_64 }),
        // Not the default "inbound from anywhere": only the VPC's own subnets may use it.
        defaultAllowedTraffic: ec2.NatTrafficDirection.OUTBOUND_ONLY,
      });
    }
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr(VPC_CIDR),
      maxAzs: 2,
      natGatewayProvider: this.natInstanceProvider ?? ec2.NatProvider.gateway(),
      natGateways: stage.nat.kind === 'instance' ? 1 : stage.nat.count,
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC },
        { name: 'app', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
        { name: 'data', subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      ],
      // Photo checks, copies and deletes reach S3 through this free endpoint, not the NAT.
      gatewayEndpoints: { S3: { service: ec2.GatewayVpcEndpointAwsService.S3 } },
    });
    this.natInstanceProvider?.connections.allowFrom(ec2.Peer.ipv4(VPC_CIDR), ec2.Port.allTraffic(), 'egress of the VPC subnets');
    for (const instance of this.natInstanceProvider?.gatewayInstances ?? []) {
      // An encrypted root volume (the provider offers no option for it); the image's own size.
      (instance.node.defaultChild as ec2.CfnInstance).blockDeviceMappings = [
        { deviceName: '/dev/xvda', ebs: { encrypted: true, volumeType: 'gp3', deleteOnTermination: true } },
      ];
    }
    // Rejected connections only: the traffic that tells a security group mistake from an outage.
    this.vpc.addFlowLog('RejectedTraffic', {
      trafficType: ec2.FlowLogTrafficType.REJECT,
      destination: ec2.FlowLogDestination.toCloudWatchLogs(
        new logs.LogGroup(this, 'FlowLogs', {
          retention: stage.logRetention,
          removalPolicy: stage.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
        }),
      ),
    });
    this.functionsSecurityGroup = new ec2.SecurityGroup(this, 'FunctionsSg', {
      vpc: this.vpc,
      description: 'Lambda functions that use the database',
    });

    this.cluster = new rds.DatabaseCluster(this, 'Cluster', {
      engine: rds.DatabaseClusterEngine.auroraPostgres({ version: rds.AuroraPostgresEngineVersion.VER_17_7 }),
      vpc: this.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      writer: rds.ClusterInstance.serverlessV2('writer', { enablePerformanceInsights: true }),
      readers: stage.databaseReader ? [rds.ClusterInstance.serverlessV2('reader', { scaleWithWriter: true, enablePerformanceInsights: true })] : [],
      serverlessV2MinCapacity: stage.minAcu,
      serverlessV2MaxCapacity: stage.maxAcu,
      ...(stage.minAcu === 0 ? { serverlessV2AutoPauseDuration: Duration.minutes(10) } : {}),
      defaultDatabaseName: this.databaseName,
      credentials: rds.Credentials.fromGeneratedSecret(this.masterUser),
      storageEncrypted: true,
      iamAuthentication: true,
      backup: { retention: Duration.days(stage.backupDays), preferredWindow: '19:00-20:00' }, // 02:00 in Phuket
      preferredMaintenanceWindow: 'Mon:20:30-Mon:21:30',
      // Performance Insights' 7 days are free; they show which query pinned or held connections.
      enablePerformanceInsights: true,
      deletionProtection: stage.retainData,
      removalPolicy: stage.retainData ? RemovalPolicy.SNAPSHOT : RemovalPolicy.DESTROY,
    });
    // The cluster secret (the master user's, which only the migration job uses) rotates monthly.
    // The rotation function runs in the app subnets (it needs Secrets Manager through NAT) and
    // reaches the writer. Not at deploy: the first deploy's migration must not race a rotation.
    this.cluster.addRotationSingleUser({
      automaticallyAfter: Duration.days(30),
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      rotateImmediatelyOnUpdate: false,
    });

    // End-to-end IAM authentication: functions log in to the proxy with IAM tokens, and the
    // proxy logs in to Aurora with IAM tokens of its own role, which may connect as the
    // functions' users only (they hold rds_iam, granted by the migration). No secret is
    // attached, so nothing reaches the master user through the proxy (docs/operations.md).
    const proxyRole = new iam.Role(this, 'ProxyRole', {
      assumedBy: new iam.ServicePrincipal('rds.amazonaws.com'),
      description: "RDS Proxy: logs in to Aurora as the functions' database users with IAM authentication",
    });
    for (const user of Object.values(this.databaseUsers)) this.cluster.grantConnect(proxyRole, user);
    this.proxy = this.cluster.addProxy('Proxy', {
      vpc: this.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      defaultAuthScheme: rds.DefaultAuthScheme.IAM_AUTH,
      role: proxyRole,
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
