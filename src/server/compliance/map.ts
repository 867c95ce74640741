// The compliance map (issue 16 §3): each item of the IPA access control checklist and each physical
// safeguard of the My Number guideline, mapped to the Monban features that meet it, the live checks
// that show a site is set up so, the tests that prove the features, and — where software cannot do
// it — what the operator must do. `monban compliance report` renders it (report.ts); the test
// test/server/compliance/map.test.ts fails when a test named here no longer exists.
//
// Sources (facts only, no wording copied):
// - IPA 「入退管理システムにおける情報セキュリティ対策要件チェックリスト」 (published 2019-05-20,
//   https://www.ipa.go.jp/archive/press/2019/press20190520.html): requirements for 制御装置, 認証装置,
//   電気錠, 管理サーバ, 鍵管理盤 and 管理者PC in the standalone, integrated and cloud models, by
//   phase (設計構築, 運用, 保守, 廃棄). The item texts were not available to us: the ids a01–h01 are
//   those DESIGN.md uses (R-SEC-1…8 come from them; g01 and h01 are named in the code), so each entry
//   is keyed by that id and titled by what Monban's requirement says, and the document says so.
// - 個人情報保護委員会 「特定個人情報の適正な取扱いに関するガイドライン（事業者編）」 (別添1) 安全管理措置,
//   E 物理的安全管理措置 a–d: 特定個人情報等を取り扱う区域の管理 (管理区域・取扱区域, 入退室管理),
//   機器及び電子媒体等の盗難等の防止, 電子媒体等を持ち出す場合の漏えい等の防止, 個人番号の削除・機器及び
//   電子媒体等の廃棄.

import { type ComplianceMap, parseMap } from './schema.ts';

const SEC = 'docs/security-model.md';

const RAW: ComplianceMap = {
  version: 1,
  sources: {
    ipa: {
      ja: 'IPA「入退管理システムにおける情報セキュリティ対策要件チェックリスト」(2019年5月20日公開、https://www.ipa.go.jp/archive/press/2019/press20190520.html)',
      en: 'IPA, "Information security requirements checklist for access control systems" (published 20 May 2019, https://www.ipa.go.jp/archive/press/2019/press20190520.html)',
    },
    mynumber: {
      ja: '個人情報保護委員会「特定個人情報の適正な取扱いに関するガイドライン（事業者編）」(別添1) 安全管理措置 E 物理的安全管理措置',
      en: 'Personal Information Protection Commission, "Guidelines for the proper handling of specific personal information (businesses)", annex 1, safeguards E: physical safeguards',
    },
  },
  notes: [
    {
      ja: 'IPAチェックリストの項目本文は本書に含めていません。項目IDは Monban の設計書 (DESIGN.md R-SEC-1〜8) が用いる a01〜h01 で、各項目の表題は Monban の要件の要約です。公式の文言との対応は運用者が原本で確認してください。',
      en: 'The item texts of the IPA checklist are not reproduced here. The ids are the a01–h01 that Monban’s design (DESIGN.md R-SEC-1…8) uses, and each title summarises Monban’s requirement; the operator confirms the correspondence with the official wording in the original.',
    },
    {
      ja: 'Monban はマイナンバー(個人番号)そのものを保存しません。マイナンバーガイドラインの項目は、管理区域・取扱区域の入退室管理と記録を Monban が担い、それ以外は運用者の措置です。',
      en: 'Monban does not store My Numbers (individual numbers) themselves. Of the My Number guideline’s measures, Monban carries the entry control and records of the management and handling zones; the rest are the operator’s measures.',
    },
  ],
  items: [
    {
      id: 'a01',
      source: 'ipa',
      reference: { ja: 'IPAチェックリスト a01 (R-SEC-1)', en: 'IPA checklist a01 (R-SEC-1)' },
      title: {
        ja: '初期パスワード・固定パスワードの排除とパスワード保護',
        en: 'No default or hard-coded passwords; passwords protected',
      },
      kind: 'software',
      requirements: ['R-SEC-1'],
      features: [
        {
          ja: '既定パスワードなし。最初の管理者は一度限りのセットアップトークンで作成',
          en: 'No default password; the first admin is created with a one-time setup token',
          doc: SEC,
        },
        {
          ja: 'argon2id によるハッシュ、12文字以上、推測容易なパスワードの拒否',
          en: 'argon2id hashes, at least 12 characters, common and guessable passwords refused',
          doc: SEC,
        },
        {
          ja: '連続5回の失敗で15分間ロック、ロック時に警報',
          en: 'Locked for 15 minutes after 5 consecutive failures, with an alarm',
          doc: SEC,
        },
      ],
      checks: ['password-hashes', 'lockout'],
      tests: [
        {
          file: 'test/server/security/no-default-passwords.test.ts',
          name: 'finds none in src/, docs/, bin/, scripts/ and the configuration',
        },
        {
          file: 'test/server/security/setup-token.test.ts',
          name: 'prints a token to the console only, stores only its hash, and it creates the first admin once',
        },
        {
          file: 'test/server/security/password-policy.test.ts',
          name: 'refuses weak passwords for new operators, without echoing them, and stores only argon2id hashes',
        },
        {
          file: 'test/server/security/lockout.test.ts',
          name: 'locks after 5 failures for 15 minutes, refusing even the right password, and raises an alarm',
        },
      ],
      operator: [
        {
          ja: 'セットアップトークンは作成直後に使い、管理者ごとに個人のアカウントを作る(共用しない)',
          en: 'Use the setup token right after the first start; give every administrator an account of their own (no shared accounts)',
        },
      ],
    },
    {
      id: 'b01',
      source: 'ipa',
      reference: { ja: 'IPAチェックリスト b01 (R-SEC-2)', en: 'IPA checklist b01 (R-SEC-2)' },
      title: {
        ja: '管理者の多要素認証と権限管理、IDの棚卸',
        en: 'Administrator multi-factor authentication, roles, and the inventory of IDs',
      },
      kind: 'configuration',
      requirements: ['R-SEC-2'],
      features: [
        {
          ja: '管理者は TOTP・パスキー(WebAuthn)・バックアップコードのいずれかの第二要素が必須',
          en: 'Admins must have a second factor: TOTP, a passkey (WebAuthn) or backup codes',
          doc: SEC,
        },
        {
          ja: '管理者・オペレータ(範囲限定)・監査者・保守員のロールを全APIで強制',
          en: 'Roles admin, operator (scoped), auditor and maintainer enforced on every endpoint',
          doc: SEC,
        },
        {
          ja: 'CSRF・セッション固定化対策、アイドル30分・最長12時間',
          en: 'Sessions safe against CSRF and fixation; idle 30 minutes, at most 12 hours',
          doc: SEC,
        },
        {
          ja: '棚卸レポート: 未使用のID、退職者のID、期限切れのキー、ログインしない操作者',
          en: 'Inventory report (棚卸): unused IDs, IDs of people who left, expired keys, operators who never log in',
          doc: 'docs/reports.md',
        },
      ],
      checks: [
        'admin-mfa',
        'admin-mfa-required',
        'operator-mfa',
        'sessions',
        'stale-credentials',
        'stale-operators',
      ],
      tests: [
        { file: 'test/server/security/admin-mfa.test.ts', name: 'an admin without MFA can only enrol MFA' },
        {
          file: 'test/server/security/admin-mfa.test.ts',
          name: 'an admin with MFA gets only the second-factor step after the password',
        },
        {
          file: 'test/server/security/webauthn.test.ts',
          name: 'registers a passkey as the first factor an admin enrols, then logs in with it',
        },
        {
          file: 'test/server/security/roles.test.ts',
          name: 'an operator cannot change settings, manage operators, tokens or alarms, or read the audit log',
        },
        {
          file: 'test/server/security/roles.test.ts',
          name: 'an auditor reads everything readable and cannot write anything',
        },
        {
          file: 'test/server/security/csrf.test.ts',
          name: 'refuses a state-changing request without the token, and nothing changes',
        },
        {
          file: 'test/server/security/session.test.ts',
          name: 'issues a new id at login: a planted (fixated) id is ignored and an earlier one stops working',
        },
        {
          file: 'test/server/reports/inventory-review.test.ts',
          name: 'lists active credentials unused for N days, from the doors they opened',
        },
        {
          file: 'test/server/reports/inventory-review.test.ts',
          name: 'lists people who left with active credentials, and expired keys',
        },
        {
          file: 'test/server/reports/inventory-review.test.ts',
          name: 'lists operators who have not logged in for N days and unused API tokens, for those who may see them',
        },
      ],
      operator: [
        {
          ja: '管理者は作成直後に第二要素を登録する。退職・異動した管理者は無効化する',
          en: 'Admins enrol a second factor right after they are created; disable administrators who leave or change jobs',
        },
        {
          ja: '定期的に棚卸レポートを確認し、不要なIDを失効させる',
          en: 'Review the inventory report regularly and revoke IDs no longer needed',
        },
      ],
    },
    {
      id: 'b01-transport',
      source: 'ipa',
      reference: {
        ja: 'IPAチェックリスト b01 (R-SEC-2) 通信・接続元',
        en: 'IPA checklist b01 (R-SEC-2), transport and networks',
      },
      title: {
        ja: '管理画面への通信の保護と接続元制限',
        en: 'Management traffic protected; management reachable only from allowed networks',
      },
      kind: 'configuration',
      requirements: ['R-SEC-2'],
      features: [
        {
          ja: '既定で HTTPS (TLS 1.2 以上、AEAD 暗号のみ)、HSTS と厳格な CSP',
          en: 'HTTPS by default (TLS 1.2 or later, AEAD suites only), HSTS and a strict CSP',
          doc: SEC,
        },
        {
          ja: 'MONBAN_ALLOW_CIDRS による管理アクセスの接続元制限',
          en: 'Management limited to the networks in MONBAN_ALLOW_CIDRS',
          doc: SEC,
        },
      ],
      checks: ['https', 'allow-list', 'data-dir'],
      tests: [
        {
          file: 'test/server/security/transport.test.ts',
          name: 'refuses TLS 1.1 and accepts TLS 1.2 and 1.3',
        },
        {
          file: 'test/server/security/transport.test.ts',
          name: 'lets listed IPv4 and IPv6 networks through and answers 403 to everyone else',
        },
        {
          file: 'test/server/security/hardening.test.ts',
          name: 'refuses TLS 1.2 CBC and SHA-1 suites, accepts an ECDHE AEAD suite',
        },
        {
          file: 'test/server/storage/data-dir.test.ts',
          name: 'creates the directory 0700 and the database with its -wal and -shm files 0600',
        },
      ],
      operator: [
        {
          ja: '正式な証明書を導入するか、自己署名証明書のフィンガープリントを初回接続時に確認する',
          en: 'Install a proper certificate, or compare the self-signed certificate’s fingerprint at the first connection',
        },
      ],
    },
    {
      id: 'c01',
      source: 'ipa',
      reference: { ja: 'IPAチェックリスト c01 (R-SEC-3)', en: 'IPA checklist c01 (R-SEC-3)' },
      title: {
        ja: 'カード認証・認証装置と制御装置間・制御装置とサーバ間の通信の保護',
        en: 'Card authentication, reader–controller and controller–server traffic protected',
      },
      kind: 'software',
      requirements: ['R-SEC-3'],
      features: [
        {
          ja: 'カードの UID/IDm は認証に使わず、カードごとの鍵による相互 AES 認証の後に読む',
          en: 'Never the card UID or IDm: the credential is read after mutual AES authentication with a per-card key',
          doc: 'docs/cards.md',
        },
        {
          ja: '認証装置との通信は OSDP Secure Channel。既定鍵は設置モード以外で拒否',
          en: 'Readers over OSDP Secure Channel; the default key is refused outside install mode',
          doc: 'docs/osdp.md',
        },
        {
          ja: '制御装置とサーバ間は TLS、全メッセージに署名、再送攻撃を拒否',
          en: 'Controller–server traffic over TLS, every message signed, replays refused',
          doc: 'docs/controllers.md',
        },
      ],
      checks: ['insecure-reads', 'broker-tls'],
      tests: [
        {
          file: 'test/cards/mutual-auth.test.ts',
          name: 'reader side: sends the exact APDUs and derives TI and both session keys',
        },
        {
          file: 'test/osdp/security.test.ts',
          name: 'the default key SCBK-D is refused outside install mode',
        },
        {
          file: 'test/osdp/security.test.ts',
          name: 'a key is required unless plaintext is allowed explicitly',
        },
        {
          file: 'test/contracts/envelope.test.ts',
          name: 'rejects a forged signature, a message on another controller topic, an unknown sender and garbage',
        },
        {
          file: 'test/contracts/envelope.test.ts',
          name: 'keeps rejecting replays across a restart when the last sequence is restored',
        },
        {
          file: 'test/server/controllers/link.test.ts',
          name: 'lets into the broker only enrolled controllers with a fresh signed proof, each on its own topics',
        },
        {
          file: 'test/server/controllers/link.test.ts',
          name: 'sends each controller only its doors and people, with hashes instead of card numbers and PINs',
        },
      ],
      operator: [
        {
          ja: 'Wiegand などの旧式の読取機は更新する(使う間は読取が「安全でない」と記録される)',
          en: 'Replace legacy (Wiegand) readers; while they are in use every read is recorded as insecure',
        },
      ],
    },
    {
      id: 'd01',
      source: 'ipa',
      reference: {
        ja: 'IPAチェックリスト d01 (R-SEC-4, R-SEC-8)',
        en: 'IPA checklist d01 (R-SEC-4, R-SEC-8)',
      },
      title: {
        ja: 'ログの取得・改ざん検知・保存期間',
        en: 'Logs recorded, tamper-evident and kept for a set period',
      },
      kind: 'configuration',
      requirements: ['R-SEC-4', 'R-SEC-8'],
      features: [
        {
          ja: '入退、ID変更、管理操作、ログイン成否、機器イベントを時刻付きで記録',
          en: 'Every entry, ID change, admin operation, login success and failure and device event, timestamped',
          doc: SEC,
        },
        {
          ja: '監査ログとイベント履歴は鍵付きハッシュチェーン、署名付きチェックポイントで外部に固定',
          en: 'Audit log and event history are keyed hash chains, anchored by signed checkpoints',
          doc: SEC,
        },
        {
          ja: 'PIN・鍵・パスワード・トークンはログに残さない',
          en: 'No PIN, key, password or token in any log',
          doc: SEC,
        },
        {
          ja: 'データ種別ごとの保存期間(監査ログは90日以上)',
          en: 'Retention periods per data class (the audit trail at least 90 days)',
          doc: 'docs/data-lifecycle.md',
        },
      ],
      checks: ['audit-chain', 'checkpoints', 'retention'],
      tests: [
        {
          file: 'test/server/security/audit-chain.test.ts',
          name: 'records actions and logins with actor, source and time, readable with filters and pages',
        },
        {
          file: 'test/server/security/audit-chain.test.ts',
          name: 'finds every edited record of both chains, not only the first',
        },
        {
          file: 'test/server/security/audit-chain.test.ts',
          name: 'finds records removed from the middle and from the end (truncation)',
        },
        {
          file: 'test/server/security/roles.test.ts',
          name: 'nobody can delete or change audit records through the API',
        },
        {
          file: 'test/server/security/secret-scanner.test.ts',
          name: 'no secret of any login, enrolment, token or failure flow leaks',
        },
        {
          file: 'test/server/lifecycle/retention.test.ts',
          name: 'is an administrator’s setting, the audit trail kept at least 90 days',
        },
      ],
      operator: [
        {
          ja: 'チェックポイント(monban audit checkpoint)をホスト外に保管し、定期的に monban audit verify を実行する',
          en: 'Keep checkpoints (monban audit checkpoint) off the host and run monban audit verify regularly',
        },
      ],
    },
    {
      id: 'e01',
      source: 'ipa',
      reference: { ja: 'IPAチェックリスト e01 (R-SEC-5)', en: 'IPA checklist e01 (R-SEC-5)' },
      title: {
        ja: '機器の監視と警報(通信断・いたずら・時刻ずれ・不審ログイン・ID大量変更)',
        en: 'Device supervision and alarms (comms loss, tamper, time drift, unknown logins, ID change bursts)',
      },
      kind: 'configuration',
      requirements: ['R-SEC-5'],
      features: [
        {
          ja: '通信断・筐体開放・時刻ずれ・失敗ログイン集中・未知の接続元・ID登録削除の集中で警報',
          en: 'Alarms for comms loss, case opened, time drift, failed-login bursts, unknown login addresses and ID change bursts',
          doc: SEC,
        },
        {
          ja: '警報のメール通知と未確認時のエスカレーション',
          en: 'Alarm e-mail and escalation when one stays unacknowledged',
          doc: 'docs/operations.md',
        },
      ],
      checks: ['alarm-notifications', 'controller-clocks'],
      tests: [
        {
          file: 'test/controller/reader-loop.test.ts',
          name: 'raises comms_lost and tamper alarms, once each',
        },
        {
          file: 'test/contracts/link-supervision.test.ts',
          name: 'raises time_drift for a clock off by more than 2 s, and for a jump',
        },
        {
          file: 'test/server/security/alarms.test.ts',
          name: 'raises login_failures for a burst across many usernames (credential stuffing)',
        },
        {
          file: 'test/server/security/alarms.test.ts',
          name: 'raises unknown_login when an operator logs in from a new address, not at their first login',
        },
        {
          file: 'test/server/security/alarms.test.ts',
          name: 'raises id_change_burst for many registrations or deletions by one actor',
        },
        {
          file: 'test/server/notify/alarm-email.test.ts',
          name: 'mails a new alarm, then escalates it once when it stays unacknowledged',
        },
      ],
      operator: [
        {
          ja: '警報を受ける担当者と対応手順を決め、制御装置・サーバの時刻を NTP で同期する',
          en: 'Name who receives alarms and how they respond; keep controllers and the server on NTP',
        },
      ],
    },
    {
      id: 'f01',
      source: 'ipa',
      reference: { ja: 'IPAチェックリスト f01 (R-SEC-6)', en: 'IPA checklist f01 (R-SEC-6)' },
      title: {
        ja: '制御装置のソフトウェアバージョンの把握と再起動手順',
        en: 'Software versions of every controller visible; restart procedure',
      },
      kind: 'configuration',
      requirements: ['R-SEC-6'],
      features: [
        {
          ja: '制御装置ごとのソフトウェアバージョン・設定ハッシュ・通信状態を表示',
          en: 'Software version, configuration hash and link state of every controller',
          doc: 'docs/controllers.md',
        },
        {
          ja: '応答しない制御装置のサーバからの再起動',
          en: 'Restart of an unresponsive controller from the server',
          doc: 'docs/controllers.md',
        },
      ],
      checks: ['controllers'],
      tests: [
        {
          file: 'test/server/controllers/link.test.ts',
          name: 'reports version, configuration hash and link state through the API',
        },
        {
          file: 'test/integration/fleet.test.ts',
          name: 'restarts a controller on command, and a replay of that command after the restart does nothing',
        },
      ],
      operator: [
        {
          ja: '脆弱性情報を確認し、制御装置とサーバを更新する',
          en: 'Follow security advisories and update controllers and the server',
        },
      ],
    },
    {
      id: 'g01',
      source: 'ipa',
      reference: { ja: 'IPAチェックリスト g01 (R-SEC-6)', en: 'IPA checklist g01 (R-SEC-6)' },
      title: {
        ja: '保守作業後の設定のベースライン比較',
        en: 'Configuration compared with the approved baseline after maintenance',
      },
      kind: 'configuration',
      requirements: ['R-SEC-6'],
      features: [
        {
          ja: 'monban baseline save / compare: 保守の前後で設定を項目ごとに比較(改ざんされたベースラインは拒否)',
          en: 'monban baseline save / compare: the configuration before and after maintenance, field by field (an edited baseline is refused)',
          doc: 'docs/operations.md',
        },
      ],
      checks: ['controller-baseline'],
      tests: [
        {
          file: 'test/server/baseline/baseline.test.ts',
          name: 'reports what maintenance changed, field by field, and exits 1',
        },
        {
          file: 'test/server/baseline/baseline.test.ts',
          name: 'refuses a baseline edited after it was saved',
        },
      ],
      operator: [
        {
          ja: '保守の前にベースラインを保存し、保守後に比較して差分を承認する',
          en: 'Save a baseline before maintenance, compare after it, and approve the differences',
        },
      ],
    },
    {
      id: 'h01',
      source: 'ipa',
      reference: { ja: 'IPAチェックリスト h01 (R-SEC-7)', en: 'IPA checklist h01 (R-SEC-7)' },
      title: {
        ja: '廃棄時の保護データの消去と消去証明',
        en: 'Protected data erased at decommissioning, with an erasure certificate',
      },
      kind: 'software',
      requirements: ['R-SEC-7'],
      features: [
        {
          ja: '個人データの暗号消去(crypto-shredding)と署名付き消去証明書',
          en: 'Crypto-shredding of personal data and a signed erasure certificate',
          doc: 'docs/data-lifecycle.md',
        },
      ],
      checks: ['erasure-certificates'],
      tests: [
        {
          file: 'test/server/lifecycle/erasure.test.ts',
          name: 'erases the person: revoked, pseudonymised, chains intact, certificate signed',
        },
        {
          file: 'test/server/lifecycle/erasure.test.ts',
          name: 'leaves the directory attributes unreadable with every key that is left',
        },
      ],
      operator: [
        {
          ja: '廃棄する制御装置・サーバの記憶媒体は物理的に破壊するか消去ツールで消去し、記録を残す',
          en: 'Destroy or wipe the storage of decommissioned controllers and servers, and keep a record of it',
        },
      ],
    },
    {
      id: 'mn-e-a',
      source: 'mynumber',
      reference: {
        ja: 'マイナンバーガイドライン 別添1 E a 特定個人情報等を取り扱う区域の管理',
        en: 'My Number guideline, annex 1, E a: control of the areas where specific personal information is handled',
      },
      title: {
        ja: '管理区域・取扱区域の明確化と入退室管理・記録',
        en: 'Management and handling zones designated; entry controlled and recorded',
      },
      kind: 'configuration',
      requirements: ['R-MGT-4', 'R-ACC-4'],
      features: [
        {
          ja: 'エリアを管理区域・取扱区域に指定し、区域ごとの入退室記録と完全性の証明を出力',
          en: 'Areas designated 管理区域 or 取扱区域, with a per-zone access report and evidence that it is complete',
          doc: 'docs/reports.md',
        },
        {
          ja: '区域の扉はカード+暗証番号などの多要素認証',
          en: 'Doors into the zones with card+PIN or another second factor',
          doc: 'docs/scenarios.md',
        },
      ],
      checks: ['my-number-zones', 'my-number-doors', 'audit-chain'],
      tests: [
        {
          file: 'test/server/reports/my-number.test.ts',
          name: 'lists the areas designated 管理区域 and 取扱区域, set through the area API',
        },
        {
          file: 'test/server/reports/my-number.test.ts',
          name: 'reports every entry, exit, denial and door alarm of the month, with credentials',
        },
        {
          file: 'test/server/reports/my-number.test.ts',
          name: 'proves the record complete: no sequence gaps, every chain intact',
        },
        {
          file: 'test/controller/reader-loop.test.ts',
          name: 'holds a card at a card+PIN door until # and decides with the typed PIN',
        },
      ],
      operator: [
        {
          ja: '取扱区域は壁・間仕切り・座席配置でのぞき見を防ぐ。管理区域に持ち込む機器を制限する',
          en: 'Screen the handling zone with walls, partitions or seating; limit the devices brought into the management zone',
        },
        {
          ja: '区域の入退室記録を定期的に確認する(マイナンバー区域レポート)',
          en: 'Review the zones’ access records regularly (the My Number zone report)',
        },
      ],
    },
    {
      id: 'mn-e-b',
      source: 'mynumber',
      reference: {
        ja: 'マイナンバーガイドライン 別添1 E b 機器及び電子媒体等の盗難等の防止',
        en: 'My Number guideline, annex 1, E b: prevention of theft of devices and electronic media',
      },
      title: {
        ja: '機器・電子媒体・書類の盗難防止',
        en: 'Devices, electronic media and documents protected against theft',
      },
      kind: 'physical',
      requirements: [],
      features: [
        {
          ja: '制御装置・認証装置の筐体開放で警報(tamper)',
          en: 'An alarm when a controller or reader case is opened (tamper)',
          doc: 'docs/controllers.md',
        },
      ],
      checks: [],
      tests: [
        {
          file: 'test/controller/reader-loop.test.ts',
          name: 'raises comms_lost and tamper alarms, once each',
        },
      ],
      operator: [
        {
          ja: '特定個人情報を扱う機器・電子媒体・書類は施錠できるキャビネット等に保管し、機器はセキュリティワイヤー等で固定する',
          en: 'Keep devices, media and documents holding specific personal information in lockable cabinets; fix devices with security wires',
        },
        {
          ja: '管理サーバと制御装置は施錠された場所に設置する',
          en: 'Install the management server and controllers in locked places',
        },
      ],
    },
    {
      id: 'mn-e-c',
      source: 'mynumber',
      reference: {
        ja: 'マイナンバーガイドライン 別添1 E c 電子媒体等を持ち出す場合の漏えい等の防止',
        en: 'My Number guideline, annex 1, E c: preventing leaks when electronic media are taken out',
      },
      title: {
        ja: '電子媒体等の持出し時の漏えい防止',
        en: 'No leak when electronic media are taken out',
      },
      kind: 'organisational',
      requirements: ['R-SEC-8'],
      features: [
        {
          ja: 'バックアップはパスフレーズで暗号化され、作成は監査ログに記録',
          en: 'Backups are encrypted under a passphrase and their creation is audited',
          doc: 'docs/operations.md',
        },
        {
          ja: 'レポートの出力は監査ログに記録',
          en: 'Every report export is on the audit trail',
          doc: 'docs/reports.md',
        },
      ],
      checks: ['backup'],
      tests: [
        { file: 'test/server/backup/archive.test.ts', name: 'tells a wrong passphrase apart from damage' },
        {
          file: 'test/server/reports/my-number.test.ts',
          name: 'is for auditors and admins, and every read is audited',
        },
      ],
      operator: [
        {
          ja: '持出しは承認制とし、暗号化・パスワード保護と追跡可能な移送手段を用いる',
          en: 'Take media out only with approval, encrypted or password-protected, by a traceable means of transport',
        },
      ],
    },
    {
      id: 'mn-e-d',
      source: 'mynumber',
      reference: {
        ja: 'マイナンバーガイドライン 別添1 E d 個人番号の削除、機器及び電子媒体等の廃棄',
        en: 'My Number guideline, annex 1, E d: deletion of individual numbers and disposal of devices and media',
      },
      title: {
        ja: '個人番号の削除と機器・電子媒体の廃棄',
        en: 'Individual numbers deleted; devices and media disposed of',
      },
      kind: 'organisational',
      requirements: ['R-SEC-7'],
      features: [
        {
          ja: 'Monban が保持する個人データの暗号消去と消去証明書(個人番号は保持しない)',
          en: 'Crypto-shredding of the personal data Monban holds, with an erasure certificate (it holds no individual numbers)',
          doc: 'docs/data-lifecycle.md',
        },
      ],
      checks: ['erasure-certificates'],
      tests: [
        {
          file: 'test/server/lifecycle/erasure.test.ts',
          name: 'erases the person: revoked, pseudonymised, chains intact, certificate signed',
        },
      ],
      operator: [
        {
          ja: '個人番号を復元できない手段で削除・廃棄し、削除・廃棄の記録(証明書)を保存する',
          en: 'Delete and dispose of individual numbers by means that cannot be undone, and keep the record (certificate) of it',
        },
      ],
    },
  ],
};

/** The compliance map, validated. */
export const COMPLIANCE_MAP: ComplianceMap = parseMap(RAW);
