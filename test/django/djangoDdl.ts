/**
 * The DDL Django 3.2 and django-rest-durin 1.1.0 emitted, statement by statement, as
 * /work/shared/reference/django-durin-schema.md records it: SQLite from `sqlite_master`, MariaDB from
 * `mariadb-dump` (plus `django_migrations`, which Django creates first). No test dependencies, so
 * bench/djangoImport.ts builds the same tables.
 */

export const SQLITE_DDL = [
  `CREATE TABLE IF NOT EXISTS "django_migrations" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "app" varchar(255) NOT NULL, "name" varchar(255) NOT NULL, "applied" datetime NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS "auth_user" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "password" varchar(128) NOT NULL, "last_login" datetime NULL, "is_superuser" bool NOT NULL, "username" varchar(150) NOT NULL UNIQUE, "last_name" varchar(150) NOT NULL, "email" varchar(254) NOT NULL, "is_staff" bool NOT NULL, "is_active" bool NOT NULL, "date_joined" datetime NOT NULL, "first_name" varchar(150) NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS "durin_authtoken" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "token" varchar(64) NOT NULL UNIQUE, "created" datetime NOT NULL, "expiry" datetime NOT NULL, "client_id" integer NOT NULL REFERENCES "durin_client" ("id") DEFERRABLE INITIALLY DEFERRED, "user_id" integer NOT NULL REFERENCES "auth_user" ("id") DEFERRABLE INITIALLY DEFERRED, CONSTRAINT "unique token for user per client" UNIQUE ("user_id", "client_id"))`,
  `CREATE TABLE IF NOT EXISTS "durin_client" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "name" varchar(64) NOT NULL UNIQUE, "token_ttl" bigint NOT NULL, "throttle_rate" varchar(64) NOT NULL)`,
  `CREATE INDEX "durin_authtoken_client_id_cb198c64" ON "durin_authtoken" ("client_id")`,
  `CREATE INDEX "durin_authtoken_user_id_52a09c56" ON "durin_authtoken" ("user_id")`,
];

export const MARIADB_DDL = [
  'CREATE TABLE `django_migrations` (`id` bigint(20) NOT NULL AUTO_INCREMENT, `app` varchar(255) NOT NULL, `name` varchar(255) NOT NULL, `applied` datetime(6) NOT NULL, PRIMARY KEY (`id`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci',
  `CREATE TABLE \`auth_user\` (
  \`id\` int(11) NOT NULL AUTO_INCREMENT,
  \`password\` varchar(128) NOT NULL,
  \`last_login\` datetime(6) DEFAULT NULL,
  \`is_superuser\` tinyint(1) NOT NULL,
  \`username\` varchar(150) NOT NULL,
  \`first_name\` varchar(150) NOT NULL,
  \`last_name\` varchar(150) NOT NULL,
  \`email\` varchar(254) NOT NULL,
  \`is_staff\` tinyint(1) NOT NULL,
  \`is_active\` tinyint(1) NOT NULL,
  \`date_joined\` datetime(6) NOT NULL,
  PRIMARY KEY (\`id\`),
  UNIQUE KEY \`username\` (\`username\`)
) ENGINE=InnoDB AUTO_INCREMENT=4 DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`,
  `CREATE TABLE \`durin_client\` (
  \`id\` bigint(20) NOT NULL AUTO_INCREMENT,
  \`name\` varchar(64) NOT NULL,
  \`token_ttl\` bigint(20) NOT NULL,
  \`throttle_rate\` varchar(64) NOT NULL,
  PRIMARY KEY (\`id\`),
  UNIQUE KEY \`name\` (\`name\`)
) ENGINE=InnoDB AUTO_INCREMENT=5 DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`,
  `CREATE TABLE \`durin_authtoken\` (
  \`id\` bigint(20) NOT NULL AUTO_INCREMENT,
  \`token\` varchar(64) NOT NULL,
  \`created\` datetime(6) NOT NULL,
  \`expiry\` datetime(6) NOT NULL,
  \`client_id\` bigint(20) NOT NULL,
  \`user_id\` int(11) NOT NULL,
  PRIMARY KEY (\`id\`),
  UNIQUE KEY \`token\` (\`token\`),
  UNIQUE KEY \`unique token for user per client\` (\`user_id\`,\`client_id\`),
  KEY \`durin_authtoken_client_id_cb198c64_fk\` (\`client_id\`),
  CONSTRAINT \`durin_authtoken_client_id_cb198c64_fk\` FOREIGN KEY (\`client_id\`) REFERENCES \`durin_client\` (\`id\`),
  CONSTRAINT \`durin_authtoken_user_id_52a09c56_fk_auth_user_id\` FOREIGN KEY (\`user_id\`) REFERENCES \`auth_user\` (\`id\`)
) ENGINE=InnoDB AUTO_INCREMENT=7 DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`,
];
