// Copy-paste SMTP settings for common frameworks, and a mail client's manual setup when the server runs IMAP
// or POP3, filled in with an inbox's real host, port and credentials.

import { displayHost, shellQuote } from "./util.js";

const q = (text) => JSON.stringify(text); // a double-quoted string literal valid in Ruby, Python, JS, PHP

export function snippets(smtp, inbox, resource = {}) {
  const host = displayHost(smtp.host);
  const port = smtp.port;
  const user = smtp.username;
  const pass = smtp.password;
  const tls = smtp.startTLS;
  const server = `${host}:${port}`;
  // Without --inbox, sendmail mail goes where unauthenticated mail goes (default, or a matching route).
  const inboxFlags = inbox === "default" ? "" : ` --inbox ${shellQuote(user)} --password ${shellQuote(pass)}`;
  return [
    {
      id: "rails", label: "Rails", file: "config/environments/development.rb (or staging.rb)", lang: "ruby",
      code: `config.action_mailer.delivery_method = :smtp
config.action_mailer.smtp_settings = {
  address: ${q(host)},
  port: ${port},
  user_name: ${q(user)},
  password: ${q(pass)},
  authentication: :plain,
  enable_starttls_auto: ${tls}${tls ? `,
  openssl_verify_mode: "none" # Mailpen's certificate may be self-signed` : ""}
}`,
    },
    {
      id: "django", label: "Django", file: "settings.py", lang: "python",
      code: `EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = ${q(host)}
EMAIL_PORT = ${port}
EMAIL_HOST_USER = ${q(user)}
EMAIL_HOST_PASSWORD = ${q(pass)}
EMAIL_USE_TLS = ${tls ? "True" : "False"}`,
    },
    {
      id: "laravel", label: "Laravel", file: ".env", lang: "ini",
      code: `MAIL_MAILER=smtp
MAIL_HOST=${host}
MAIL_PORT=${port}
MAIL_USERNAME=${envValue(user)}
MAIL_PASSWORD=${envValue(pass)}
MAIL_ENCRYPTION=${tls ? "tls" : "null"}`,
    },
    {
      id: "node", label: "Node (nodemailer)", file: "mailer.js", lang: "js",
      code: `const nodemailer = require("nodemailer");

const transport = nodemailer.createTransport({
  host: ${q(host)},
  port: ${port},
  secure: false, // ${tls ? "upgraded with STARTTLS" : "plain SMTP"}
  auth: { user: ${q(user)}, pass: ${q(pass)} },${tls ? `
  tls: { rejectUnauthorized: false }, // Mailpen's certificate may be self-signed` : ""}
});`,
    },
    {
      id: "spring", label: "Spring Boot", file: "application.properties", lang: "properties",
      code: `spring.mail.host=${host}
spring.mail.port=${port}
spring.mail.username=${user}
spring.mail.password=${pass}
spring.mail.properties.mail.smtp.auth=true
spring.mail.properties.mail.smtp.starttls.enable=${tls}`,
    },
    {
      id: "php", label: "PHP sendmail_path", file: "php.ini", lang: "ini",
      code: `; mail() hands each message to Mailpen's sendmail-compatible command, which sends it over SMTP
sendmail_path = "/path/to/mailpen sendmail -t -i --smtp ${server}${inboxFlags}"

; or leave the options out and set them in PHP's environment (e.g. in the FPM pool):
; env[MAILPEN_SMTP] = ${server}
; sendmail_path = "/path/to/mailpen sendmail -t -i${inboxFlags}"`,
      note: "The binary also works as a drop-in /usr/sbin/sendmail when it is linked under the name sendmail.",
    },
    {
      id: "swaks", label: "swaks", file: "shell", lang: "sh",
      code: sendCommand(smtp, inbox),
    },
    {
      id: "curl", label: "curl", file: "shell", lang: "sh",
      code: curlCommand(smtp, inbox),
    },
    ...(resource.imap || resource.pop3 ? [thunderbird(smtp, resource)] : []),
  ];
}

/** Thunderbird's manual account setup, field by field: IMAP when it runs, else POP3, and SMTP to send. */
export function thunderbird(smtp, resource) {
  const incoming = resource.imap ? ["IMAP", resource.imap] : ["POP3", resource.pop3];
  const [protocol, settings] = incoming;
  const implicit = settings.port == null || (settings.implicitTLSPort && !settings.startTLS);
  const security = implicit ? "SSL/TLS" : settings.startTLS ? "STARTTLS" : "None";
  const port = implicit ? settings.implicitTLSPort : settings.port;
  const smtpSecurity = smtp.startTLS ? "STARTTLS" : "None";
  return {
    id: "thunderbird", label: "Thunderbird", file: "Account Settings → Add Mail Account → Configure manually", lang: "text",
    code: `Your full name:  Mailpen ${settings.username}
Email address:   ${settings.username}@mailpen.test
Password:        ${settings.password}

Incoming server
  Protocol:                ${protocol}
  Hostname:                ${displayHost(settings.host)}
  Port:                    ${port}
  Connection security:     ${security}
  Authentication method:   Normal password
  Username:                ${settings.username}

Outgoing server
  Hostname:                ${displayHost(smtp.host)}
  Port:                    ${smtp.port}
  Connection security:     ${smtpSecurity}
  Authentication method:   Normal password
  Username:                ${smtp.username}`,
    note: (security === "None" ? "Thunderbird warns that the connection is not encrypted: Mailpen accepts the password because it comes from this machine. " : "")
      + (security !== "None" || smtpSecurity !== "None" ? "Mailpen's certificate may be self-signed: confirm the security exception Thunderbird offers." : ""),
  };
}

function envValue(text) {
  return /^[A-Za-z0-9_.@+-]*$/.test(text) ? text : JSON.stringify(text);
}

/** A swaks one-liner that sends a test message into `inbox`. */
export function sendCommand(smtp, inbox) {
  const host = displayHost(smtp.host);
  const auth = inbox === "default" ? "" : ` --auth PLAIN --auth-user ${shellQuote(smtp.username)} --auth-password ${shellQuote(smtp.password)}`;
  return `swaks --server ${host}:${smtp.port}${auth} --to test@example.com --from app@example.com --header "Subject: Hello from swaks"`;
}

/** The same with curl, which most machines already have. */
export function curlCommand(smtp, inbox) {
  const host = displayHost(smtp.host);
  const auth = inbox === "default" ? "" : ` --user ${shellQuote(`${smtp.username}:${smtp.password}`)}`;
  return `printf 'From: app@example.com\\r\\nTo: test@example.com\\r\\nSubject: Hello from curl\\r\\n\\r\\nIt works.\\r\\n' | curl -sS smtp://${host}:${smtp.port}${auth} --mail-from app@example.com --mail-rcpt test@example.com -T -`;
}
