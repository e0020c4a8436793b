/*
 * DynamoDB Local has no bind flag and listens on every interface. This launcher builds the server exactly as
 * its own main does (same flags, same telemetry switch), then points the Jetty connector at one host before
 * starting it. A port of 0 lets the kernel choose; the launcher prints the port it got.
 *
 * launcher.ts compiles this file once per DynamoDB Local release into a cache directory; .ci/run finds the
 * process by this class name.
 */
import java.lang.reflect.Field;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

public final class BatchkeeperDynamoDbLocal {
  public static void main(String[] args) throws Exception {
    String host = System.getProperty("batchkeeper.host", "127.0.0.1");
    int port = Integer.getInteger("batchkeeper.port", 0);
    DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
    Field field = DynamoDBProxyServer.class.getDeclaredField("server");
    field.setAccessible(true);
    Server server = (Server) field.get(proxy);
    Connector[] connectors = server.getConnectors();
    if (connectors.length != 1 || !(connectors[0] instanceof ServerConnector)) {
      System.err.println("unexpected Jetty connectors in DynamoDB Local: " + connectors.length);
      System.exit(2);
    }
    ServerConnector connector = (ServerConnector) connectors[0];
    connector.setHost(host);
    connector.setPort(port);
    String failure = null;
    try {
      proxy.start();
    } catch (Exception e) {
      failure = e + (e.getCause() == null ? "" : " (" + e.getCause() + ")");
    }
    if (failure != null || !server.isStarted() || connector.getLocalPort() <= 0) {
      System.err.println("DynamoDB Local could not listen on " + host + ":" + port + ": " + failure);
      System.exit(3);
    }
    System.out.println("BATCHKEEPER_DYNAMODB_LOCAL_LISTENING " + host + ":" + connector.getLocalPort());
    System.out.flush();
    proxy.join();
  }
}
